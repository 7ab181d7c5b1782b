/// This build's version, sent in hello (the coordinator records it per agent).
public enum CellfleetVersion {
    public static let string = "0.1.0"
}
