import TincBase

/// The etcd API a store uses.
public enum EtcdAPIChoice: String, Sendable {
    /// The v2 keys API when etcd serves it, else the v3 API.
    case auto
    case v2
    case v3
}

/// PEM files for HTTPS endpoints. A nil file leaves libcurl's default: the system CA store, and
/// no client certificate.
public struct EtcdTLS: Sendable, Equatable {
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }
}

/// Opens an `EtcdStore` on a cluster.
public enum EtcdConnection {
    /// The endpoint used when none is configured: etcd's legacy client port on loopback.
    public static let defaultEndpoint = "http://127.0.0.1:4001"

    /// Returns a store for the API `api` names. `.auto` probes the cluster: GET /v2/keys/ with
    /// HTTP 200 means the v2 API is enabled and chooses it, 404 chooses v3. With a user name,
    /// v2 requests carry it as basic auth and v3 requests a token, which is fetched here so
    /// that wrong credentials fail now. An empty `endpoints` uses `defaultEndpoint`.
    ///
    /// Throws `.unreachable` when `.auto` or v3 authentication reaches no endpoint, and
    /// `.server` when GET /v2/keys/ returns a status other than 200 or 404.
    public static func connect(endpoints: [String], api: EtcdAPIChoice = .auto, tls: EtcdTLS? = nil,
                               username: String? = nil, password: String? = nil) throws(EtcdError) -> any EtcdStore {
        let endpoints = endpoints.isEmpty ? [defaultEndpoint] : endpoints
        let chosen: EtcdAPIChoice
        switch api {
        case .auto:
            chosen = try detectAPI(endpoints: endpoints, tls: tls, username: username, password: password)
        case .v2, .v3:
            chosen = api
            Log.notice("Using the etcd \(api.rawValue) API at \(endpoints.joined(separator: ", ")), as configured")
        }

        if chosen == .v2 {
            return EtcdV2Store(endpoints: endpoints, tls: tls, username: username, password: password)
        }
        let store = EtcdV3Store(endpoints: endpoints, tls: tls, username: username, password: password)
        try store.authenticate()
        return store
    }

    private static func detectAPI(endpoints: [String], tls: EtcdTLS?, username: String?,
                                  password: String?) throws(EtcdError) -> EtcdAPIChoice {
        // The v2 client's credentials, so a v2 cluster with auth enabled can return 200.
        let http = HTTPClient(endpoints: endpoints, tls: tls, username: username, password: password)
        let response: HTTPResponse
        do {
            response = try http.send(HTTPRequest(method: .get, path: "/v2/keys/", timeout: http.requestTimeout))
        } catch {
            throw error.etcdError
        }

        switch response.status {
        case 200:
            Log.notice("Using the etcd v2 API: GET /v2/keys/ at \(response.endpoint) returned HTTP 200")
            return .v2
        case 404:
            Log.notice("Using the etcd v3 API: GET /v2/keys/ at \(response.endpoint) returned HTTP 404, so the v2 API is disabled")
            return .v3
        default:
            throw .server(status: response.status,
                          message: "cannot choose an etcd API: GET /v2/keys/ at \(response.endpoint) returned "
                              + "\(JSONObject.excerpt(response.body)); set the API to v2 or v3")
        }
    }
}
