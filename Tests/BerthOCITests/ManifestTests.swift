import Foundation
import Testing
@testable import BerthOCI

private let cfgHex = "e67d23e7820c49a8051dac2831f38290f5e72f66c8db5079eeb60d82f14894c0"
private let layer1Hex = "77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"
private let layer2Hex = "95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06"
private let amd64Hex = "5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51"
private let arm64Hex = "f69162950f235e3cdbbad33f1f912d1a504be90d8a37d002c735d6f3e3882265"
private let attHex = "f745a15153c4dacf0ea4bbf57265e73283941f8335939b33c693975315cf5916"
private let winHex = "823a3180dad3c9c3c4dea43ab2baf9f04bac9c3a7711745ff5f702551496d735"
private let subjHex = "ceaeee3c0f91c6c853bda5200efb5a1b94c85fd8bb21171047cbd19059c15722"

private func d(_ hex: String) -> Digest { try! Digest(algorithm: "sha256", encoded: hex) }

/// An OCI image manifest as a registry serves it (shape of docker.io/library/alpine's).
private let ociManifestJSON = """
    {
      "schemaVersion": 2,
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "config": {
        "mediaType": "application/vnd.oci.image.config.v1+json",
        "digest": "sha256:\(cfgHex)",
        "size": 581
      },
      "layers": [
        {
          "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
          "digest": "sha256:\(layer1Hex)",
          "size": 3623807
        },
        {
          "mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
          "digest": "sha256:\(layer2Hex)",
          "size": 1024,
          "annotations": { "org.opencontainers.image.title": "extra.tar.zst" }
        }
      ],
      "annotations": {
        "com.docker.official-images.bashbrew.arch": "amd64",
        "org.opencontainers.image.base.name": "scratch",
        "org.opencontainers.image.created": "2024-01-27T00:30:56Z",
        "org.opencontainers.image.revision": "30ab5f4b4a2a4ef4b4e4b1fdc0ff8a8b3bd3a2fe",
        "org.opencontainers.image.source": "https://github.com/alpinelinux/docker-alpine.git#30ab5f4b4a2a4ef4b4e4b1fdc0ff8a8b3bd3a2fe:x86_64",
        "org.opencontainers.image.url": "https://hub.docker.com/_/alpine",
        "org.opencontainers.image.version": "3.19.1"
      }
    }
    """

/// A Docker image manifest, version 2 schema 2, as Docker Hub serves it.
private let dockerManifestJSON = """
    {
       "schemaVersion": 2,
       "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
       "config": {
          "mediaType": "application/vnd.docker.container.image.v1+json",
          "size": 1472,
          "digest": "sha256:\(cfgHex)"
       },
       "layers": [
          {
             "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
             "size": 3408729,
             "digest": "sha256:\(layer1Hex)"
          },
          {
             "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
             "size": 1654843824,
             "digest": "sha256:\(layer2Hex)",
             "urls": ["https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:\(layer2Hex)"]
          }
       ]
    }
    """

/// An OCI image index with two platforms and a BuildKit attestation manifest.
private let ociIndexJSON = """
    {
      "schemaVersion": 2,
      "mediaType": "application/vnd.oci.image.index.v1+json",
      "manifests": [
        {
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "digest": "sha256:\(amd64Hex)",
          "size": 1022,
          "annotations": {
            "org.opencontainers.image.revision": "30ab5f4b4a2a4ef4b4e4b1fdc0ff8a8b3bd3a2fe"
          },
          "platform": { "architecture": "amd64", "os": "linux" }
        },
        {
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "digest": "sha256:\(arm64Hex)",
          "size": 1025,
          "platform": { "architecture": "arm64", "os": "linux", "variant": "v8" }
        },
        {
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "digest": "sha256:\(attHex)",
          "size": 839,
          "annotations": {
            "vnd.docker.reference.digest": "sha256:\(amd64Hex)",
            "vnd.docker.reference.type": "attestation-manifest"
          },
          "platform": { "architecture": "unknown", "os": "unknown" }
        }
      ],
      "annotations": { "org.opencontainers.image.ref.name": "3.19" }
    }
    """

/// A Docker manifest list (fat manifest) with a Windows entry carrying os.version.
private let dockerManifestListJSON = """
    {
       "schemaVersion": 2,
       "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
       "manifests": [
          {
             "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
             "size": 527,
             "digest": "sha256:\(amd64Hex)",
             "platform": { "architecture": "amd64", "os": "linux" }
          },
          {
             "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
             "size": 527,
             "digest": "sha256:\(arm64Hex)",
             "platform": { "architecture": "arm", "os": "linux", "variant": "v7" }
          },
          {
             "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
             "size": 1574,
             "digest": "sha256:\(winHex)",
             "platform": {
                "architecture": "amd64",
                "os": "windows",
                "os.version": "10.0.20348.2227",
                "os.features": ["win32k"]
             }
          }
       ]
    }
    """

private func decode(_ json: String, declaredType: String? = nil) throws(OCIError) -> ImageDocument {
    try ImageDocument.decode(Data(json.utf8), declaredType: declaredType)
}

private func manifest(_ doc: ImageDocument, sourceLocation: SourceLocation = #_sourceLocation) -> Manifest? {
    guard case .manifest(let m) = doc else {
        Issue.record("expected a manifest, got \(doc)", sourceLocation: sourceLocation)
        return nil
    }
    return m
}

private func index(_ doc: ImageDocument, sourceLocation: SourceLocation = #_sourceLocation) -> Index? {
    guard case .index(let i) = doc else {
        Issue.record("expected an index, got \(doc)", sourceLocation: sourceLocation)
        return nil
    }
    return i
}

@Suite struct ImageDocumentTests {
    @Test func decodesOCIManifest() throws {
        let m = try #require(manifest(try decode(ociManifestJSON)))
        #expect(m.schemaVersion == 2)
        #expect(m.mediaType == MediaType.ociManifest)
        #expect(m.config == Descriptor(mediaType: MediaType.ociConfig, digest: d(cfgHex), size: 581))
        #expect(m.layers.count == 2)
        #expect(m.layers[0].mediaType == MediaType.ociLayerGzip)
        #expect(m.layers[0].digest == d(layer1Hex))
        #expect(m.layers[0].size == 3_623_807)
        #expect(m.layers[1].mediaType == MediaType.ociLayerZstd)
        #expect(m.layers[1].annotations == ["org.opencontainers.image.title": "extra.tar.zst"])
        #expect(m.layers.allSatisfy { MediaType.isLayer($0.mediaType) })
        #expect(m.annotations?["org.opencontainers.image.version"] == "3.19.1")
        #expect(m.annotations?.count == 7)
        #expect(m.subject == nil)
        #expect(m.artifactType == nil)
    }

    @Test func decodesDockerSchema2Manifest() throws {
        let m = try #require(manifest(try decode(dockerManifestJSON, declaredType: MediaType.dockerManifest)))
        #expect(m.mediaType == MediaType.dockerManifest)
        #expect(m.config.mediaType == MediaType.dockerConfig)
        #expect(m.config.digest == d(cfgHex))
        #expect(m.config.size == 1472)
        #expect(m.layers.map(\.mediaType) == [MediaType.dockerLayerGzip, MediaType.dockerForeignLayerGzip])
        #expect(m.layers[1].size == 1_654_843_824)
        #expect(m.layers[1].urls == ["https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:\(layer2Hex)"])
        #expect(m.layers[0].urls == nil)
        #expect(m.annotations == nil)
    }

    @Test func decodesOCIIndexWithPlatformsAndAttestation() throws {
        let i = try #require(index(try decode(ociIndexJSON, declaredType: MediaType.ociIndex)))
        #expect(i.schemaVersion == 2)
        #expect(i.mediaType == MediaType.ociIndex)
        #expect(i.manifests.count == 3)
        #expect(i.manifests.map(\.digest) == [d(amd64Hex), d(arm64Hex), d(attHex)])
        #expect(i.manifests.map { $0.platform?.description } == ["linux/amd64", "linux/arm64/v8", "unknown/unknown"])
        #expect(i.manifests[1].platform == Platform(architecture: "arm64", os: "linux", variant: "v8"))
        #expect(i.manifests[2].annotations?["vnd.docker.reference.type"] == "attestation-manifest")
        #expect(i.manifests[2].annotations?["vnd.docker.reference.digest"] == "sha256:\(amd64Hex)")
        #expect(i.annotations == ["org.opencontainers.image.ref.name": "3.19"])
    }

    @Test func decodesDockerManifestListWithWindowsOSVersion() throws {
        let i = try #require(index(try decode(dockerManifestListJSON, declaredType: MediaType.dockerManifestList)))
        #expect(i.mediaType == MediaType.dockerManifestList)
        #expect(i.manifests.allSatisfy { $0.mediaType == MediaType.dockerManifest })
        let win = try #require(i.manifests.last?.platform)
        #expect(win.os == "windows")
        #expect(win.osVersion == "10.0.20348.2227")
        #expect(win.osFeatures == ["win32k"])
        #expect(win.description == "windows/amd64")
        #expect(i.manifests[1].platform?.variant == "v7")
    }

    @Test func mediaTypeIsOptionalAndKindComesFromContent() throws {
        let bareManifest = """
            {"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\(cfgHex)","size":2},"layers":[]}
            """
        let m = try #require(manifest(try decode(bareManifest)))
        #expect(m.mediaType == nil)
        #expect(m.layers.isEmpty)
        // Without its own mediaType the document cannot disagree with what it was served as.
        _ = try #require(manifest(try decode(bareManifest, declaredType: MediaType.ociManifest)))

        let bareIndex = """
            {"schemaVersion":2,"manifests":[]}
            """
        let i = try #require(index(try decode(bareIndex)))
        #expect(i.mediaType == nil)
        #expect(i.manifests.isEmpty)
    }

    @Test func decodesArtifactTypeAndSubject() throws {
        let json = """
            {
              "schemaVersion": 2,
              "mediaType": "application/vnd.oci.image.manifest.v1+json",
              "artifactType": "application/vnd.example.sbom.v1",
              "config": {
                "mediaType": "application/vnd.oci.empty.v1+json",
                "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                "size": 2,
                "data": "e30="
              },
              "layers": [
                { "mediaType": "application/spdx+json", "digest": "sha256:\(layer1Hex)", "size": 12 }
              ],
              "subject": {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:\(subjHex)",
                "size": 1022
              }
            }
            """
        let m = try #require(manifest(try decode(json)))
        #expect(m.artifactType == "application/vnd.example.sbom.v1")
        #expect(m.subject?.digest == d(subjHex))
        #expect(m.config.size == 2)
        #expect(!MediaType.isLayer(m.layers[0].mediaType))
    }

    @Test func refusesDocumentWithBothManifestsAndLayers() {
        let json = """
            {
              "schemaVersion": 2,
              "manifests": [
                { "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:\(amd64Hex)", "size": 1 }
              ],
              "layers": [
                { "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:\(layer1Hex)", "size": 1 }
              ]
            }
            """
        let error = #expect(throws: OCIError.self) { try decode(json) }
        #expect(error?.code == .invalid)
        #expect(error?.message.contains("ambiguous") == true)
    }

    @Test func refusesDocumentWithBothManifestsAndConfig() {
        let json = """
            {
              "schemaVersion": 2,
              "mediaType": "application/vnd.oci.image.index.v1+json",
              "manifests": [],
              "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:\(cfgHex)", "size": 1 }
            }
            """
        let error = #expect(throws: OCIError.self) { try decode(json) }
        #expect(error?.message.contains("ambiguous") == true)
    }

    static let mismatches: [(String, String)] = [
        (ociManifestJSON, MediaType.dockerManifest),
        (ociManifestJSON, MediaType.ociIndex),
        (dockerManifestJSON, MediaType.ociManifest),
        (ociIndexJSON, MediaType.dockerManifestList),
        (dockerManifestListJSON, MediaType.ociIndex),
    ]

    @Test(arguments: mismatches)
    func refusesMediaTypeThatDisagreesWithDeclaredType(_ json: String, _ declared: String) {
        let error = #expect(throws: OCIError.self) { try decode(json, declaredType: declared) }
        #expect(error?.code == .invalid)
        #expect(error?.message.contains(declared) == true)
    }

    @Test func refusesSchemaVersion1() {
        // A Docker v2 schema 1 manifest: no config, fsLayers instead of layers.
        let json = """
            {
               "schemaVersion": 1,
               "name": "library/hello-world",
               "tag": "latest",
               "architecture": "amd64",
               "fsLayers": [ { "blobSum": "sha256:\(layer1Hex)" } ],
               "history": [ { "v1Compatibility": "{}" } ],
               "signatures": []
            }
            """
        let error = #expect(throws: OCIError.self) { try decode(json) }
        #expect(error?.code == .unsupported)
        #expect(error?.message.contains("schemaVersion 1") == true)
    }

    @Test(arguments: [#"{"manifests":[]}"#, #"{"schemaVersion":3,"manifests":[]}"#, #"{"schemaVersion":"2","manifests":[]}"#])
    func refusesMissingOrOtherSchemaVersions(_ json: String) {
        #expect(throws: OCIError.self) { try decode(json) }
    }

    @Test func refusesDocumentsOverFourMebibytes() throws {
        #expect(ImageDocument.maxSize == 4 * 1024 * 1024)
        // JSON allows trailing whitespace, so padding keeps the document valid.
        let base = Data(ociManifestJSON.utf8)
        let atLimit = base + Data(repeating: UInt8(ascii: " "), count: ImageDocument.maxSize - base.count)
        #expect(atLimit.count == ImageDocument.maxSize)
        _ = try #require(manifest(try ImageDocument.decode(atLimit)))

        let overLimit = atLimit + Data(" ".utf8)
        let error = #expect(throws: OCIError.self) { try ImageDocument.decode(overLimit) }
        #expect(error?.code == .invalid)
        #expect(error?.message.contains("\(ImageDocument.maxSize)") == true)
    }

    static let unsupportedManifestTypes: [String] = [
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.oci.artifact.manifest.v1+json",
        "application/json",
    ]

    @Test(arguments: unsupportedManifestTypes)
    func refusesUnknownManifestMediaType(_ type: String) {
        let json = """
            {"schemaVersion":2,"mediaType":"\(type)","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\(cfgHex)","size":2},"layers":[]}
            """
        let error = #expect(throws: OCIError.self) { try decode(json) }
        #expect(error?.code == .unsupported)
    }

    @Test func refusesManifestsListWithManifestMediaType() {
        let json = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]}"#
        let error = #expect(throws: OCIError.self) { try decode(json) }
        #expect(error?.code == .invalid)
    }

    static let malformed: [String] = [
        "",
        "not json",
        "[]",
        #"{"schemaVersion":2"#,
        // a manifest without config
        #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#,
        // a bad digest inside a descriptor
        #"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:abc","size":1}]}"#,
        // size of the wrong type
        #"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(amd64Hex)","size":"1"}]}"#,
    ]

    @Test(arguments: malformed)
    func refusesMalformedDocuments(_ json: String) {
        let error = #expect(throws: OCIError.self) { try decode(json) }
        #expect(error?.code == .invalid)
    }

    @Test func manifestAndIndexEncodeAndDecodeBack() throws {
        let m = Manifest(
            config: Descriptor(mediaType: MediaType.ociConfig, digest: d(cfgHex), size: 581),
            layers: [Descriptor(mediaType: MediaType.ociLayerGzip, digest: d(layer1Hex), size: 100)],
            annotations: ["a": "b"])
        #expect(m.schemaVersion == 2)
        #expect(m.mediaType == MediaType.ociManifest)
        let back = try #require(manifest(try ImageDocument.decode(try JSONEncoder().encode(m), declaredType: MediaType.ociManifest)))
        #expect(back == m)

        let i = Index(manifests: [Descriptor(mediaType: MediaType.ociManifest, digest: d(amd64Hex), size: 1,
                                             platform: Platform(architecture: "amd64", os: "linux"))])
        #expect(i.mediaType == MediaType.ociIndex)
        let iBack = try #require(index(try ImageDocument.decode(try JSONEncoder().encode(i))))
        #expect(iBack == i)
    }
}

@Suite struct MediaTypeAndPlatformTests {
    @Test(arguments: [
        (MediaType.ociManifest, true, false), (MediaType.dockerManifest, true, false),
        (MediaType.ociIndex, false, true), (MediaType.dockerManifestList, false, true),
        (MediaType.ociConfig, false, false), (MediaType.dockerConfig, false, false),
    ])
    func documentKinds(_ type: String, _ isManifest: Bool, _ isIndex: Bool) {
        #expect(MediaType.isManifest(type) == isManifest)
        #expect(MediaType.isIndex(type) == isIndex)
    }

    @Test(arguments: [
        (MediaType.ociLayer, true), (MediaType.ociLayerGzip, true), (MediaType.ociLayerZstd, true),
        (MediaType.dockerLayer, true), (MediaType.dockerLayerGzip, true), (MediaType.dockerForeignLayerGzip, true),
        ("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", true),
        (MediaType.ociConfig, false), (MediaType.ociManifest, false), ("application/octet-stream", false),
    ])
    func layerMediaTypes(_ type: String, _ isLayer: Bool) {
        #expect(MediaType.isLayer(type) == isLayer)
    }

    @Test func platformUsesOCIKeysForOSVersionAndFeatures() throws {
        var p = Platform(architecture: "amd64", os: "windows")
        p.osVersion = "10.0.17763.1234"
        p.osFeatures = ["win32k"]
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        let json = String(decoding: try e.encode(p), as: UTF8.self)
        #expect(json == #"{"architecture":"amd64","os":"windows","os.features":["win32k"],"os.version":"10.0.17763.1234"}"#)
        #expect(try JSONDecoder().decode(Platform.self, from: Data(json.utf8)) == p)
    }

    @Test func hostPlatformIsLinuxInGoNaming() {
        let host = Platform.host
        #expect(host.os == "linux")
        #if arch(x86_64)
        #expect(host.description == "linux/amd64")
        #elseif arch(arm64)
        #expect(host.description == "linux/arm64/v8")
        #endif
    }
}

/// The image config of a Docker-built image, as `docker image inspect` of its blob shows it.
private let dockerConfigJSON = """
    {
      "architecture": "amd64",
      "config": {
        "Hostname": "",
        "Domainname": "",
        "User": "101:101",
        "AttachStdin": false,
        "AttachStdout": false,
        "AttachStderr": false,
        "ExposedPorts": { "80/tcp": {}, "443/tcp": null },
        "Tty": false,
        "OpenStdin": false,
        "StdinOnce": false,
        "Env": [
          "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          "NGINX_VERSION=1.25.3"
        ],
        "Cmd": ["nginx", "-g", "daemon off;"],
        "Healthcheck": {
          "Test": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
          "Interval": 30000000000,
          "Timeout": 5000000000,
          "StartPeriod": 1000000000,
          "Retries": 3
        },
        "Image": "sha256:\(cfgHex)",
        "Volumes": { "/var/cache/nginx": {} },
        "WorkingDir": "/usr/share/nginx",
        "Entrypoint": ["/docker-entrypoint.sh"],
        "OnBuild": null,
        "Labels": { "maintainer": "NGINX Docker Maintainers <docker-maint@nginx.com>" },
        "StopSignal": "SIGQUIT",
        "Shell": ["/bin/bash", "-c"]
      },
      "container": "7ed2b4b4a6bbd1b4c3a9f0f3a1c2d6d0f4f7b0f2d0b0c9e2d8f0a5c7e3b1d2f4",
      "container_config": { "Hostname": "7ed2b4b4a6bb", "Cmd": ["/bin/sh", "-c", "#(nop) ", "CMD [\\"nginx\\"]"] },
      "created": "2024-01-11T21:34:52.442497446Z",
      "docker_version": "20.10.23",
      "history": [
        {
          "created": "2024-01-11T00:00:00.000000000Z",
          "created_by": "/bin/sh -c #(nop) ADD file:c7f5b1a1ef2b8e4b9d2c0f3a6e4d9b8c7a6f5e4d3c2b1a09f8e7d6c5b4a39281 in / "
        },
        {
          "created": "2024-01-11T00:00:01.000000000Z",
          "created_by": "/bin/sh -c #(nop)  CMD [\\"bash\\"]",
          "empty_layer": true
        },
        {
          "created": "2024-01-11T21:34:50Z",
          "created_by": "RUN /bin/sh -c set -x && apt-get update # buildkit",
          "comment": "buildkit.dockerfile.v0",
          "author": "someone"
        }
      ],
      "os": "linux",
      "rootfs": {
        "type": "layers",
        "diff_ids": [
          "sha256:\(layer1Hex)",
          "sha256:\(layer2Hex)"
        ]
      }
    }
    """

@Suite struct ImageConfigTests {
    @Test func decodesDockerStyleConfigWithCapitalizedKeys() throws {
        let c = try ImageConfig.decode(Data(dockerConfigJSON.utf8))
        #expect(c.architecture == "amd64")
        #expect(c.os == "linux")
        #expect(c.variant == nil)
        #expect(c.created == "2024-01-11T21:34:52.442497446Z")
        let run = try #require(c.config)
        #expect(run.user == "101:101")
        #expect(run.exposedPorts.map { Set($0.keys) } == ["80/tcp", "443/tcp"])
        #expect(run.env == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NGINX_VERSION=1.25.3"])
        #expect(run.cmd == ["nginx", "-g", "daemon off;"])
        #expect(run.entrypoint == ["/docker-entrypoint.sh"])
        #expect(run.volumes.map { Array($0.keys) } == ["/var/cache/nginx"])
        #expect(run.workingDir == "/usr/share/nginx")
        #expect(run.onBuild == nil)
        #expect(run.labels == ["maintainer": "NGINX Docker Maintainers <docker-maint@nginx.com>"])
        #expect(run.stopSignal == "SIGQUIT")
        #expect(run.shell == ["/bin/bash", "-c"])
        #expect(run.healthcheck?.test == ["CMD-SHELL", "curl -f http://localhost/ || exit 1"])
        #expect(run.healthcheck?.interval == 30_000_000_000)
        #expect(run.healthcheck?.timeout == 5_000_000_000)
        #expect(run.healthcheck?.startPeriod == 1_000_000_000)
        #expect(run.healthcheck?.retries == 3)

        #expect(c.rootfs.type == "layers")
        #expect(c.rootfs.diffIDs == [d(layer1Hex), d(layer2Hex)])

        let history = try #require(c.history)
        #expect(history.count == 3)
        #expect(history.map(\.emptyLayer) == [nil, true, nil])
        #expect(history[1].createdBy == #"/bin/sh -c #(nop)  CMD ["bash"]"#)
        #expect(history[2].comment == "buildkit.dockerfile.v0")
        #expect(history[2].author == "someone")
        // Layers that are not empty correspond one to one with diff_ids.
        #expect(history.filter { $0.emptyLayer != true }.count == c.rootfs.diffIDs.count)
    }

    @Test func decodesMinimalOCIConfigWithVariant() throws {
        let json = #"""
            {"architecture":"arm64","variant":"v8","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}
            """#
        let c = try ImageConfig.decode(Data(json.utf8))
        #expect(c.variant == "v8")
        #expect(c.config == nil)
        #expect(c.history == nil)
        #expect(c.rootfs.diffIDs.isEmpty)
    }

    @Test(arguments: [
        "",
        "{}",
        #"{"architecture":"amd64","os":"linux"}"#,
        #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:abc"]}}"#,
        #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Env":"PATH=/bin"}}"#,
    ])
    func refusesMalformedConfigs(_ json: String) {
        let error = #expect(throws: OCIError.self) { try ImageConfig.decode(Data(json.utf8)) }
        #expect(error?.code == .invalid)
    }

    @Test func encodedIsCanonicalAndDecodesBack() throws {
        var run = ContainerConfig()
        run.env = ["PATH=/bin"]
        run.cmd = ["/bin/sh"]
        run.exposedPorts = ["8080/tcp": ContainerConfig.Empty()]
        run.workingDir = "/srv/app"
        let c = ImageConfig(
            architecture: "amd64", os: "linux", config: run,
            rootfs: .init(diffIDs: [d(layer1Hex)]),
            history: [.init(created: "2024-01-01T00:00:00Z", createdBy: "COPY . /srv/app", emptyLayer: false)],
            created: "2024-01-01T00:00:00Z")
        let bytes = c.encoded()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#""ExposedPorts":{"8080/tcp":{}}"#))
        #expect(text.contains(#""diff_ids":["sha256:\#(layer1Hex)"]"#))
        #expect(text.contains(#""WorkingDir":"/srv/app""#))
        #expect(text.contains(#""empty_layer":false"#))
        #expect(text.hasPrefix(#"{"architecture":"amd64","config":{"#))
        #expect(try ImageConfig.decode(bytes) == c)
        // Equal configs give equal bytes, so equal digests.
        #expect(Digest.sha256(of: c.encoded()) == Digest.sha256(of: try ImageConfig.decode(bytes).encoded()))
    }
}

@Suite struct ChainIDTests {
    static let a = d("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    static let b = d("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    static let c = d("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")

    @Test func emptyAndSingleLayer() {
        #expect(ChainID.of([]) == [])
        // ChainID(L0) = DiffID(L0)
        #expect(ChainID.of([Self.a]) == [Self.a])
    }

    @Test func eachChainIDHashesPreviousChainIDSpaceDiffID() {
        // ChainID(L0|...|Ln) = Digest(ChainID(L0|...|Ln-1) + " " + DiffID(Ln)), per the OCI image spec.
        let ab = Digest.sha256(of: Array("\(Self.a) \(Self.b)".utf8))
        let abc = Digest.sha256(of: Array("\(ab) \(Self.c)".utf8))
        #expect(ChainID.of([Self.a, Self.b]) == [Self.a, ab])
        #expect(ChainID.of([Self.a, Self.b, Self.c]) == [Self.a, ab, abc])
        // Order matters.
        #expect(ChainID.of([Self.b, Self.a]).last != ab)
    }

    @Test func knownVectorComputedWithSha256sum() {
        // printf 'sha256:e3b0…b855 sha256:ba78…15ad' | sha256sum
        //   → a893da35bd22286079f2f3931516d3423eb9b4945f2379e0f8a501ec3d665dd6
        // printf 'sha256:a893…5dd6 sha256:b94d…cde9' | sha256sum
        //   → 868dae007b96607047e6df22749f1ea5ed76d77f3a681595aaf5662a4f2b0622
        let chain = ChainID.of([Self.a, Self.b, Self.c])
        #expect(chain.map(\.description) == [
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256:a893da35bd22286079f2f3931516d3423eb9b4945f2379e0f8a501ec3d665dd6",
            "sha256:868dae007b96607047e6df22749f1ea5ed76d77f3a681595aaf5662a4f2b0622",
        ])
    }

    @Test func sharedPrefixGivesSharedChainIDs() {
        let x = ChainID.of([Self.a, Self.b, Self.c])
        let y = ChainID.of([Self.a, Self.b, Self.a])
        #expect(Array(x.prefix(2)) == Array(y.prefix(2)))
        #expect(x[2] != y[2])
    }
}
