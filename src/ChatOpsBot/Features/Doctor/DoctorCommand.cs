using ChatOpsBot.Core.Doctor;

namespace ChatOpsBot.Features.Doctor;

/// <summary>
/// <c>dotnet ChatOpsBot.dll doctor</c>: runs <see cref="Doctor"/> with the host's own configuration and services,
/// prints one line per finding and exits 1 when any is a problem. It neither migrates nor starts the server.
/// </summary>
internal static class DoctorCommand
{
    public const string Name = "doctor";

    public static async Task<int> RunAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var findings = await scope.ServiceProvider.GetRequiredService<Doctor>().RunAsync(cancellationToken);
        foreach (var finding in findings)
            await output.WriteLineAsync(Format(finding));
        return findings.Any(f => f.Verdict == DoctorVerdict.Problem) ? 1 : 0;
    }

    /// <summary><c>ok       PublicBaseUrl certificate  valid for chatops.example.com until 2027-03-01</c></summary>
    internal static string Format(DoctorFinding finding) =>
        $"{Verdict(finding.Verdict),-8} {finding.Check,-26} {OneLine(finding.Message)}";

    /// <summary>Driver messages quoted in a finding may span lines; a finding is one line.</summary>
    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string Verdict(DoctorVerdict verdict) => verdict switch
    {
        DoctorVerdict.Ok => "ok",
        DoctorVerdict.Warning => "warning",
        _ => "problem",
    };
}
