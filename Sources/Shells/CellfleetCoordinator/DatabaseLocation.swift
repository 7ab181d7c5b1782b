import Foundation
import PostgresNIO

/// Where the database is, from a libpq-style URL:
/// `postgres://user[:password]@host[:port]/database[?host=/socket/dir][&sslmode=disable]`.
/// A `host` query parameter (or a host that is a path) means a Unix socket in that directory,
/// which is how the embedded cluster is reached.
public struct DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var socketDirectory: String?

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(url text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              scheme == "postgres" || scheme == "postgresql" else {
            throw Invalid(description: "'\(text)' is not a postgres:// URL")
        }
        user = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = components.password.flatMap { $0.removingPercentEncoding }
        host = components.host ?? "localhost"
        port = components.port ?? 5432
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? user : path
        for item in components.queryItems ?? [] {
            switch item.name {
            case "host": socketDirectory = item.value
            case "sslmode":
                if let mode = item.value, mode != "disable", mode != "allow", mode != "prefer" {
                    throw Invalid(description: "sslmode=\(mode) is not supported yet; use sslmode=disable or a Unix socket")
                }
            default: break
            }
        }
        if host.hasPrefix("/") {
            socketDirectory = host
        }
    }

    public var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketDirectory {
            configuration = .init(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: .disable)
        }
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 8
        // PostgreSQL's JIT compiles a query whose estimate passes jit_above_cost, and the
        // lateral reads of /stats estimate millions: compiling took a second for a query that
        // runs in a quarter of one. cellfleet's queries are short and many; none gains by it.
        configuration.options.additionalStartupParameters = [("jit", "off")]
        return configuration
    }

    /// One connection's configuration, for a probe of why the pool cannot connect
    /// (`DatabaseProblem.diagnose`).
    public var connectionConfiguration: PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketDirectory {
            configuration = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: .disable)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// The URL without its password, for logs.
    public var description: String {
        let target = socketDirectory.map { "socket \($0)/.s.PGSQL.\(port)" } ?? "\(host):\(port)"
        return "\(user)@\(target)/\(database)"
    }
}
