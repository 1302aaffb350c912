namespace ChatOpsBot.Core.Doctor;

public enum DoctorVerdict
{
    Ok,
    Warning,
    Problem,
}

/// <summary>
/// One check's outcome: what was checked, the verdict, and a sentence that says what was found and, for a warning or
/// a problem, how to fix it. Never carries a secret or a link token: the doctor command prints it and the Health page
/// shows it.
/// </summary>
public sealed record DoctorFinding(string Check, DoctorVerdict Verdict, string Message)
{
    public static DoctorFinding Ok(string check, string message) => new(check, DoctorVerdict.Ok, message);

    public static DoctorFinding Warning(string check, string message) => new(check, DoctorVerdict.Warning, message);

    public static DoctorFinding Problem(string check, string message) => new(check, DoctorVerdict.Problem, message);
}

/// <summary>
/// Checks an adapter contributes to the doctor for what only it knows (its platform's credentials and endpoints);
/// registered only while its platform is enabled.
/// </summary>
public interface IDoctorCheck
{
    Task<IReadOnlyList<DoctorFinding>> RunAsync(CancellationToken cancellationToken);
}
