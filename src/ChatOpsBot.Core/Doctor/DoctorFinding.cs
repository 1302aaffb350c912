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
    Task<IReadOnlyList<DoctorFinding>> RunAsync(DoctorContext context, CancellationToken cancellationToken);
}

/// <summary>
/// What the host gives the adapters' checks: its public origin (<c>PublicBaseUrl</c>, ending in <c>/</c>) and a
/// client whose requests go there as a platform's would, past the proxies in front of the host; both null when
/// <c>PublicBaseUrl</c> is unusable, and then nothing is sent through it.
/// </summary>
public sealed record DoctorContext(Uri? PublicOrigin, Func<HttpClient>? CreatePublicClient)
{
    public static DoctorContext WithoutPublicOrigin { get; } = new(null, null);
}
