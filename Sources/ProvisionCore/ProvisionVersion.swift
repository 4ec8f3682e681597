/// The release this build is; `provision --version` prints it.
public enum ProvisionVersion {
    public static let number = "0.12.0"
}
