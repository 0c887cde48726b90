// `.wasm` imports are bytes: the bundler's binary loader inlines the module.
declare module "*.wasm" {
  const bytes: Uint8Array;
  export default bytes;
}
