import BerthOCI
import BerthStore
import Foundation
import Glibc

/// A manifest as stored: its bytes, digest and the media type it was pushed with.
struct StoredManifest {
    var digest: Digest
    var mediaType: String
    var data: Data
}

extension RegistryStorage {
    /// Resolves a tag or digest of repository `name` to its manifest.
    func manifest(_ name: String, reference: String) throws(RegistryError) -> StoredManifest {
        let digest: Digest
        if reference.contains(":") {
            do { digest = try Digest(parsing: reference) } catch {
                throw RegistryError(.digestInvalid, "invalid digest \(reference)")
            }
        } else {
            guard RegistryNames.isValidTag(reference) else { throw RegistryError(.manifestInvalid, "invalid tag \(reference)", status: 400) }
            guard let text = readLink(tagLink(name, reference)), let tagged = try? Digest(parsing: text) else {
                throw unknownManifest(name, reference)
            }
            digest = tagged
        }
        guard let mediaType = readLink(manifestLink(name, digest)), let data = try? content.read(digest) else {
            throw unknownManifest(name, reference)
        }
        return StoredManifest(digest: digest, mediaType: mediaType, data: data)
    }

    func unknownManifest(_ name: String, _ reference: String) -> RegistryError {
        repositoryExists(name)
            ? RegistryError(.manifestUnknown, "manifest unknown: \(name):\(reference)")
            : RegistryError(.nameUnknown, "repository name not known to registry: \(name)")
    }

    /// Verifies and stores a pushed manifest or index, then points `reference` at it.
    ///
    /// Refused: more than 4 MiB, a document that is not a manifest or index of the declared type, a
    /// digest reference the bytes do not hash to, and references to blobs or manifests the repository
    /// lacks (MANIFEST_BLOB_UNKNOWN). The subject need not exist (OCI 1.1).
    /// - Returns: the digest and the subject's digest, if any.
    func putManifest(_ name: String, reference: String, data: Data, contentType: String?) throws -> (digest: Digest, subject: Digest?) {
        guard data.count <= ImageDocument.maxSize else {
            throw RegistryError(.sizeInvalid, "manifest of \(data.count) bytes exceeds the \(ImageDocument.maxSize)-byte limit", status: 413)
        }
        let declared = contentType.flatMap { $0.split(separator: ";").first.map { String($0).trimmingCharacters(in: .whitespaces) } }
        let document: ImageDocument
        do { document = try ImageDocument.decode(data, declaredType: declared) } catch {
            throw RegistryError(.manifestInvalid, error.message)
        }
        let digest = Digest.sha256(of: data)
        if reference.contains(":") {
            guard let wanted = try? Digest(parsing: reference) else { throw RegistryError(.digestInvalid, "invalid digest \(reference)") }
            guard wanted == digest else { throw RegistryError(.digestInvalid, "manifest digest \(digest) does not match \(reference)") }
        } else if !RegistryNames.isValidTag(reference) {
            throw RegistryError(.manifestInvalid, "invalid tag \(reference)")
        }
        return try linking.withLock { _ in try link(document, data: data, digest: digest, declared: declared, name: name, reference: reference) }
    }

    /// putManifest's second half, under `linking`: the blobs it names are there, then it is linked.
    private func link(_ document: ImageDocument, data: Data, digest: Digest, declared: String?, name: String, reference: String) throws -> (digest: Digest, subject: Digest?) {
        let mediaType: String
        let subject: Descriptor?
        switch document {
        case .manifest(let manifest):
            mediaType = manifest.mediaType ?? declared ?? MediaType.ociManifest
            for blob in [manifest.config] + manifest.layers where blob.urls?.isEmpty ?? true {
                guard let size = blobSize(name, blob.digest) else {
                    throw RegistryError(.manifestBlobUnknown, "blob unknown to registry: \(blob.digest)")
                }
                guard size == blob.size else {
                    throw RegistryError(.manifestInvalid, "blob \(blob.digest) is \(size) bytes, the manifest says \(blob.size)")
                }
            }
            subject = manifest.subject
        case .index(let index):
            mediaType = index.mediaType ?? declared ?? MediaType.ociIndex
            for child in index.manifests where readLink(manifestLink(name, child.digest)) == nil {
                throw RegistryError(.manifestBlobUnknown, "manifest unknown to registry: \(child.digest)")
            }
            struct SubjectProbe: Decodable { var subject: Descriptor? }
            subject = (try? JSONDecoder().decode(SubjectProbe.self, from: data))?.subject
        }
        if !content.exists(digest) { try content.write(data, expected: digest) }
        try linkBlob(name, digest)
        try writeLink(manifestLink(name, digest), Data(mediaType.utf8))
        if let subject { try writeLink("\(referrersDir(name, subject.digest))/\(digest.encoded)", Data()) }
        if !reference.contains(":") { try writeLink(tagLink(name, reference), Data(digest.description.utf8)) }
        return (digest, subject?.digest)
    }

    /// Deletes a tag, or a manifest by digest together with the tags pointing at it.
    func deleteManifest(_ name: String, reference: String) throws(RegistryError) {
        if !reference.contains(":") {
            guard RegistryNames.isValidTag(reference), unlink(tagLink(name, reference)) == 0 else { throw unknownManifest(name, reference) }
            return
        }
        let stored = try manifest(name, reference: reference)
        unlink(manifestLink(name, stored.digest))
        for tag in tags(name) ?? [] where readLink(tagLink(name, tag)) == stored.digest.description {
            unlink(tagLink(name, tag))
        }
        for subject in entries("\(repositoryDir(name))/_referrers") {
            unlink("\(repositoryDir(name))/_referrers/\(subject)/\(stored.digest.encoded)")
        }
    }

    /// Descriptors of the manifests whose `subject` is `digest`, optionally only of one artifact type.
    func referrers(_ name: String, of digest: Digest, artifactType: String?) -> [Descriptor] {
        entries(referrersDir(name, digest)).compactMap { hex -> Descriptor? in
            guard let referrer = try? Digest(algorithm: "sha256", encoded: hex),
                let mediaType = readLink(manifestLink(name, referrer)),
                let data = try? content.read(referrer) else { return nil }
            struct Probe: Decodable {
                var artifactType: String?
                var config: Descriptor?
                var annotations: [String: String]?
            }
            let probe = try? JSONDecoder().decode(Probe.self, from: data)
            var descriptor = Descriptor(mediaType: mediaType, digest: referrer, size: Int64(data.count), annotations: probe?.annotations)
            descriptor.artifactType = probe?.artifactType ?? probe?.config?.mediaType
            if let artifactType, descriptor.artifactType != artifactType { return nil }
            return descriptor
        }
    }
}
