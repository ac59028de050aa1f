import BerthOCI

extension Engine {
    /// Publishes a container event with Docker's attributes: the image as named, the name,
    /// the container's labels, and `extra`.
    func emit(_ action: String, _ r: ContainerRecord, _ extra: [String: String] = [:]) async {
        var attributes = r.config.Labels ?? [:]
        attributes["image"] = r.image
        attributes["name"] = r.name
        attributes.merge(extra) { _, new in new }
        await eventLog.publish(Event(type: "container", action: action, actorID: r.id, attributes: attributes, timeNano: Event.now()))
    }

    /// A container event for a container known by id only (it may be gone already).
    func emit(_ action: String, container id: String, _ extra: [String: String] = [:]) async {
        guard let r = try? await containers.find(id) else { return }
        await emit(action, r, extra)
    }

    /// Publishes an image event; Docker names the image by `name` (a tag, or the id itself).
    func emitImage(_ action: String, _ id: Digest, name: String? = nil) async {
        await eventLog.publish(Event(type: "image", action: action, actorID: id.description,
                                     attributes: ["name": name ?? id.description], timeNano: Event.now()))
    }
}
