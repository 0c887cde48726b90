import { describe, expect, it } from "vitest";
import { classifyAddress, findNonPublicAddress, isPublicAddress, parseHostAsIp } from "../../../sandbox/bridge/index.ts";

describe("classifyAddress", () => {
  const refused: Array<[string, string]> = [
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["fc00::1", "uniqueLocal"],
    ["fd12:3456::1", "uniqueLocal"],
    ["169.254.0.1", "linkLocal"],
    ["169.254.169.254", "linkLocal"],
    ["fe80::1", "linkLocal"],
    ["100.64.0.1", "carrierGradeNat"],
    ["100.127.255.255", "carrierGradeNat"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["2001:2::1", "benchmarking"],
    ["192.0.2.1", "documentation"],
    ["198.51.100.1", "documentation"],
    ["203.0.113.1", "documentation"],
    ["2001:db8::1", "documentation"],
    ["192.0.0.8", "ietfProtocolAssignments"],
    // Deprecated IPv4-compatible form, and anything else outside 2000::/3.
    ["::7f00:1", "reserved"],
    ["fec0::1", "deprecatedSiteLocal"],
  ];
  it.each(refused)("refuses %s (%s)", (ip, range) => {
    const c = classifyAddress(ip);
    expect(c.isPublic).toBe(false);
    expect(c.range).toBe(range);
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each([
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["::ffff:7f00:1", "127.0.0.1"],
    ["::ffff:a9fe:a9fe", "169.254.169.254"],
    ["::ffff:10.1.2.3", "10.1.2.3"],
    ["::ffff:0:127.0.0.1", "127.0.0.1"],
    ["2002:7f00:0001::", "127.0.0.1"],
    ["2002:c0a8:0101::1", "192.168.1.1"],
    ["64:ff9b::7f00:1", "127.0.0.1"],
    ["64:ff9b::169.254.169.254", "169.254.169.254"],
  ])("judges %s by the IPv4 address it carries (%s)", (ip, embedded) => {
    const c = classifyAddress(ip);
    expect(c.family).toBe(6);
    expect(c.embeddedIpv4).toBe(embedded);
    expect(c.isPublic).toBe(false);
  });

  it("refuses Teredo addresses whose client is not public", () => {
    // Server 65.54.227.120 (public), client ~(0x3fff, 0xfdd2) → 192.0.2.45 (documentation).
    expect(classifyAddress("2001:0:4136:e378:8000:63bf:3fff:fdd2")).toMatchObject({ isPublic: false, embeddedIpv4: "192.0.2.45" });
    // Client bits inverted from 127.0.0.1.
    expect(isPublicAddress("2001:0:4136:e378:8000:63bf:80ff:fffe")).toBe(false);
  });

  it("refuses the local-use NAT64 prefix outright", () => {
    expect(isPublicAddress("64:ff9b:1::808:808")).toBe(false);
  });

  it.each(["2130706433", "0x7f.1", "0x7f.0.0.1", "0177.0.0.1", "0177.1", "127.1", "0x7f000001", "017700000001", "127.0.0.1."])(
    "reads the WHATWG IPv4 spelling %s as loopback",
    (host) => {
      expect(classifyAddress(host)).toMatchObject({ address: "127.0.0.1", range: "loopback", isPublic: false });
    },
  );

  it.each(["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1"])(
    "allows the public address %s",
    (ip) => {
      expect(isPublicAddress(ip)).toBe(true);
      expect(classifyAddress(ip).range).not.toBe("invalid");
    },
  );

  it.each(["example.com", "", "1.2.3.4.5", "256.0.0.1", "0x100000000", "09.0.0.1", "1.2.3.4:80", "::ffff:zzzz"])(
    "fails closed on the non-address %j",
    (text) => {
      expect(classifyAddress(text)).toMatchObject({ family: null, range: "invalid", isPublic: false });
    },
  );
});

describe("parseHostAsIp", () => {
  it("normalises every IPv4 spelling the URL parser accepts, as the URL parser does", () => {
    for (const host of ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7F.0x0.0.01"]) {
      expect(parseHostAsIp(host)).toEqual({ family: 4, address: "127.0.0.1" });
      expect(new URL(`http://${host}/`).hostname).toBe("127.0.0.1");
    }
  });

  it("reads bracketed and bare IPv6", () => {
    expect(parseHostAsIp("[::1]")).toEqual({ family: 6, address: "::1" });
    expect(parseHostAsIp("0:0:0:0:0:ffff:7f00:0001")).toEqual({ family: 6, address: "::ffff:7f00:1" });
  });

  it("leaves names alone", () => {
    expect(parseHostAsIp("localhost")).toBeNull();
    expect(parseHostAsIp("1.2.3.example")).toBeNull();
  });
});

describe("findNonPublicAddress", () => {
  it("refuses a DNS answer when any one address is not public", () => {
    expect(findNonPublicAddress(["8.8.8.8", "10.0.0.7", "1.1.1.1"])).toMatchObject({ address: "10.0.0.7", range: "private" });
    expect(findNonPublicAddress(["2606:4700::1111", "::ffff:127.0.0.1"])?.embeddedIpv4).toBe("127.0.0.1");
  });

  it("passes an all-public answer", () => {
    expect(findNonPublicAddress(["8.8.8.8", "2606:4700::1111"])).toBeUndefined();
  });
});
