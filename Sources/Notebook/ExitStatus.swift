/// nbrun's exit statuses, for every command.
public enum ExitStatus {
    /// Every cell ran (every notebook passed).
    public static let success: Int32 = 0
    /// A cell failed, a check failed, a notebook under `nbrun test` failed.
    public static let failure: Int32 = 1
    /// Bad usage or a bad notebook: parse, options, parameters, compile errors.
    public static let usage: Int32 = 2
    /// The machine failed the run (`EnvironmentError`): the notebook could not be built or run,
    /// or its report written, for a reason outside it (a full disk, a path too long, a report
    /// path that is a folder). The last report is kept.
    public static let environment: Int32 = 3
    /// Stopped by Ctrl-C (or SIGTERM, SIGHUP); the report is still written.
    public static let interrupted: Int32 = 130
}
