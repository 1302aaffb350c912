using ChatOpsBot.Core.Doctor;

namespace ChatOpsBot.Features.Doctor;

/// <summary>
/// Every check, in the order an operator fixes things: the public origin and its certificate, what a phone fetches
/// through it, the host's storage, the chat platforms. The <c>doctor</c> command prints the findings; the Health page shows the same.
/// </summary>
internal sealed class Doctor(PublicBaseUrlChecks publicBaseUrl, InstallProbe install, StorageChecks storage, JobServerCheck jobServer,
    IEnumerable<IDoctorCheck> platforms, DoctorNetwork network, Microsoft.Extensions.Options.IOptions<ChatOpsBotOptions> options)
{
    private static readonly TimeSpan PlatformRequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The checks, and with <paramref name="inRunningHost"/> (the Health page) also whether a job server is alive,
    /// which the <c>doctor</c> command, starting none, cannot tell.
    /// </summary>
    public async Task<IReadOnlyList<DoctorFinding>> RunAsync(CancellationToken cancellationToken, bool inRunningHost = false)
    {
        List<DoctorFinding> findings = [.. await publicBaseUrl.RunAsync(cancellationToken)];
        // The probe mints a link: the database is checked first, and reported in its place below.
        var database = await storage.DatabaseAsync(cancellationToken);
        findings.AddRange(database.Verdict != DoctorVerdict.Ok
            ? [DoctorFinding.Warning(InstallProbe.PageCheck, "not probed: a probe link needs a current database (see database below).")]
            : await install.RunAsync(cancellationToken));
        findings.AddRange(await storage.RunAsync(database, cancellationToken));
        if (inRunningHost)
            findings.Add(jobServer.Run());
        // Slack and Teams add theirs while they are enabled, sending what their platform sends through PublicBaseUrl.
        var context = PublicBaseUrl.TryParse(options.Value.PublicBaseUrl, out var origin, out _)
            ? new DoctorContext(new Uri(origin.AbsoluteUri.TrimEnd('/') + "/"), () => network.CreateProbeClient(PlatformRequestTimeout))
            : DoctorContext.WithoutPublicOrigin;
        foreach (var platform in platforms)
            findings.AddRange(await platform.RunAsync(context, cancellationToken));
        return findings;
    }
}
