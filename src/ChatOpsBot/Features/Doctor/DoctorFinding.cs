namespace ChatOpsBot.Features.Doctor;

internal enum DoctorVerdict
{
    Ok,
    Warning,
    Problem,
}

/// <summary>
/// One check's outcome: what was checked, the verdict, and a sentence that says what was found and, for a warning or
/// a problem, how to fix it. Never carries a secret or a link token: the command prints it and the Health page shows it.
/// </summary>
internal sealed record DoctorFinding(string Check, DoctorVerdict Verdict, string Message)
{
    public static DoctorFinding Ok(string check, string message) => new(check, DoctorVerdict.Ok, message);

    public static DoctorFinding Warning(string check, string message) => new(check, DoctorVerdict.Warning, message);

    public static DoctorFinding Problem(string check, string message) => new(check, DoctorVerdict.Problem, message);
}
