#!/usr/bin/env bash
# Regenerates Sources/Core/WireProtocol/cellfleet.pb.swift from cellfleet.proto.
# Needs protoc (apt-get install protobuf-compiler) and protoc-gen-swift built from the
# swift-protobuf version in Package.swift (building it takes ~10 minutes on 2 cores, which is why
# the generated code is committed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
plugin=${PROTOC_GEN_SWIFT:-}
if [ -z "$plugin" ]; then
  work=${TMPDIR:-/tmp}/cellfleet-protoc-gen-swift
  version=$(grep -o 'swift-protobuf.git", from: "[0-9.]*' "$root/Package.swift" | grep -o '[0-9.]*$')
  if [ ! -x "$work/.build/release/protoc-gen-swift" ]; then
    rm -rf "$work"
    git clone -q --branch "$version" https://github.com/apple/swift-protobuf.git "$work"
    (cd "$work" && swift build -c release --product protoc-gen-swift)
  fi
  plugin="$work/.build/release/protoc-gen-swift"
fi
protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$here" \
  --swift_opt=Visibility=Public --swift_out="$root/Sources/Core/WireProtocol" "$here/cellfleet.proto"
echo "generated $root/Sources/Core/WireProtocol/cellfleet.pb.swift"
