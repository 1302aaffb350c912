using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ChatOpsBot.Telemetry;

/// <summary>
/// The product's own instruments, on the meter "ChatOpsBot". Every tag value is one of a few fixed words: never a
/// token, a URL, a user or an app name, so no label can carry a capability and no label set grows without bound.
/// Without a listener (no exporter configured) recording costs a branch.
/// </summary>
internal sealed class ChatOpsBotMetrics
{
    public const string MeterName = "ChatOpsBot";

    private readonly Counter<long> _buildsUploaded;
    private readonly Counter<long> _linksMinted;
    private readonly Counter<long> _installSteps;
    private readonly Counter<long> _announcementDeliveries;
    private readonly Counter<long> _chatRequests;
    private readonly Counter<long> _jobRuns;
    private readonly Histogram<double> _jobDuration;
    private readonly TimeProvider _time;

    public ChatOpsBotMetrics(IMeterFactory meters, TimeProvider time)
    {
        _time = time;
        var meter = meters.Create(MeterName);
        _buildsUploaded = meter.CreateCounter<long>("chatopsbot.builds.uploaded", "{build}", "Builds stored by an upload.");
        _linksMinted = meter.CreateCounter<long>("chatopsbot.links.minted", "{link}", "Install links minted, from chat or the API.");
        _installSteps = meter.CreateCounter<long>("chatopsbot.install.steps", "{request}",
            "Steps of the install funnel on live links: page, manifest, download_started, download_completed.");
        _announcementDeliveries = meter.CreateCounter<long>("chatopsbot.announcement.deliveries", "{delivery}",
            "Announcement posts to one conversation, by platform and outcome (delivered, retry, failed).");
        _chatRequests = meter.CreateCounter<long>("chatopsbot.chat.requests", "{request}",
            "Requests from Slack and Teams, by platform, endpoint and outcome (accepted, rejected, failed).");
        _jobRuns = meter.CreateCounter<long>("chatopsbot.job.runs", "{run}", "Background job runs, by job and outcome (succeeded, failed).");
        _jobDuration = meter.CreateHistogram<double>("chatopsbot.job.duration", "s", "How long background job runs took, by job and outcome.");
    }

    public void BuildUploaded(string platform) => _buildsUploaded.Add(1, new KeyValuePair<string, object?>("platform", platform));

    public void LinkMinted(string platform) => _linksMinted.Add(1, new KeyValuePair<string, object?>("platform", platform));

    public void InstallStep(InstallStep step) => _installSteps.Add(1, new KeyValuePair<string, object?>("step", step switch
    {
        Telemetry.InstallStep.Page => "page",
        Telemetry.InstallStep.Manifest => "manifest",
        Telemetry.InstallStep.DownloadStarted => "download_started",
        _ => "download_completed",
    }));

    public void AnnouncementDelivery(string platform, string outcome) => _announcementDeliveries.Add(1,
        new KeyValuePair<string, object?>("platform", platform.ToLowerInvariant()), new KeyValuePair<string, object?>("outcome", outcome));

    public void ChatRequest(string platform, string endpoint, string outcome) => _chatRequests.Add(1,
        new KeyValuePair<string, object?>("platform", platform), new KeyValuePair<string, object?>("endpoint", endpoint),
        new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Runs a job's body, counting the run and timing it on the host's clock, whether it succeeds or throws.</summary>
    public async Task TimeJobAsync(string job, Func<Task> run)
    {
        var started = _time.GetTimestamp();
        var outcome = "failed";
        try
        {
            await run();
            outcome = "succeeded";
        }
        finally
        {
            var tags = new TagList { { "job", job }, { "outcome", outcome } };
            _jobRuns.Add(1, tags);
            _jobDuration.Record(_time.GetElapsedTime(started).TotalSeconds, tags);
        }
    }
}

internal enum InstallStep
{
    Page,
    Manifest,
    DownloadStarted,
    DownloadCompleted,
}
