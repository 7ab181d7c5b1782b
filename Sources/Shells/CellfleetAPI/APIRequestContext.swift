import Hummingbird

/// A request's context: Hummingbird's, and who the request speaks for once the bearer token is
/// checked (`BearerAuthentication`).
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: APICaller?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// The caller, if their role is at least `role`; otherwise 403 (or 401 if unauthenticated,
    /// which the middleware has answered already).
    func require(_ role: APIRole) throws -> APICaller {
        guard let caller else { throw APIProblem.unauthorized("this route needs a bearer token") }
        guard caller.role >= role else {
            throw APIProblem.forbidden("the token '\(caller.name)' has the role \(caller.role.rawValue); this needs \(role.rawValue) or above")
        }
        return caller
    }
}
