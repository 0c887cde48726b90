// The storage module's public face: package storage over a local folder or S3.
export { createPackageStorage, type StorageSetup } from "./create-storage.ts";
export { LocalStorage } from "./local-storage.ts";
export { ObjectPackageStorage } from "./object-package-storage.ts";
export { assertObjectKey, type ObjectStore, type StorageHealth, type StoredObject } from "./object-store.ts";
export {
  RevisionGone,
  StoredMetaSchema,
  VersionMarkerSchema,
  type PackageStorage,
  type PublishableMeta,
  type PublishRequest,
  type StoredMeta,
  type VersionMarker,
} from "./package-storage.ts";
