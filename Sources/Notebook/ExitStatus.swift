/// nbrun's exit statuses, for every command.
public enum ExitStatus {
    /// Every cell ran (every notebook passed).
    public static let success: Int32 = 0
    /// A cell failed, a check failed, a notebook under `nbrun test` failed.
    public static let failure: Int32 = 1
    /// Bad usage or a bad notebook: parse, options, parameters, compile errors.
    public static let usage: Int32 = 2
    /// Stopped by Ctrl-C (or SIGTERM, SIGHUP); the report is still written.
    public static let interrupted: Int32 = 130
}
