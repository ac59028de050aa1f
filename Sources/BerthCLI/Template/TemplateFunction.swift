/// An error returned by a template function; reported as `error calling NAME: MESSAGE`.
struct TemplateFunctionFailure: Error {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}

/// A function callable from a template, with a Go-like signature.
struct TemplateFunction: Sendable {
    /// `and`/`or` evaluate their arguments lazily.
    enum ShortCircuit: Sendable {
        case none, and, or
    }

    typealias Body = @Sendable ([TemplateValue?]) throws(TemplateFunctionFailure) -> TemplateValue?

    var params: [TemplateParam]
    var variadic: TemplateParam?
    var shortCircuit: ShortCircuit = .none
    var body: Body

    init(_ params: [TemplateParam], variadic: TemplateParam? = nil, shortCircuit: ShortCircuit = .none, body: @escaping Body) {
        self.params = params
        self.variadic = variadic
        self.shortCircuit = shortCircuit
        self.body = body
    }

    /// The parameter type of argument `index` (0-based).
    func param(at index: Int) -> TemplateParam {
        index < params.count ? params[index] : (variadic ?? .any)
    }
}
