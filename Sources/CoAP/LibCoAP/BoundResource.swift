/// A libcoap resource bound to a route, for one concrete path.
final class BoundResource {
    let resource: OpaquePointer
    let routeIndex: Int
    let parameters: [String: String]
    let path: String

    init(resource: OpaquePointer, routeIndex: Int, parameters: [String: String], path: String) {
        self.resource = resource
        self.routeIndex = routeIndex
        self.parameters = parameters
        self.path = path
    }
}
