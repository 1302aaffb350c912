using System.Net;

namespace ChatOpsBot.Tests;

/// <summary>Two replicas with Slack, on one database, started once for these tests.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class SlackReplicaPair : IAsyncLifetime
{
    private ReplicaDatabase _database = null!;
    private ReplicaHosts _hosts = null!;

    internal FakeSlackApi Slack { get; private set; } = null!;

    internal Replica A { get; private set; } = null!;

    internal Replica B { get; private set; } = null!;

    internal string Logs() => _hosts.Logs();

    public async Task InitializeAsync()
    {
        Slack = await FakeSlackApi.StartAsync();
        _database = await ReplicaDatabase.CreateAsync();
        _hosts = new ReplicaHosts(_database.Settings);
        var started = await Task.WhenAll(new[] { "A", "B" }.Select(name => _hosts.StartAsync(name, ReplicaSlack.Settings(Slack, name))));
        (A, B) = (started[0], started[1]);
    }

    public async Task DisposeAsync()
    {
        await _hosts.DisposeAsync();
        await _database.DisposeAsync();
        await Slack.DisposeAsync();
    }
}

/// <summary>
/// Slack retries an event it thinks unanswered, and its load balancer may hand the retry to another replica: the
/// event's claim lives in the database, so the retry, or the same event arriving at both at once, is answered once.
/// </summary>
[Trait("Provider", "Postgres")]
public sealed class ReplicaSlackRetryTests(SlackReplicaPair replicas) : IClassFixture<SlackReplicaPair>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task ASlackRetrySentToTheOtherReplicaIsAnsweredOnce()
    {
        var envelope = ReplicaSlack.Mention("Ev-retried-elsewhere", "C0RETRY", "help");

        using var first = await ReplicaSlack.PostAsync(replicas.A, "/slack/events", envelope, "application/json");
        var answer = await replicas.Slack.CallAsync(c => ReplicaSlack.Channel(c) == "C0RETRY");
        using var retry = await ReplicaSlack.PostAsync(replicas.B, "/slack/events", envelope, "application/json", retryNum: "1");
        await DroppedAsDuplicateAsync(replicas.B, "Ev-retried-elsewhere");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.StartsWith("/A/", answer.Path, StringComparison.Ordinal);
        Assert.Single(replicas.Slack.Calls, c => ReplicaSlack.Channel(c) == "C0RETRY");
    }

    [Fact]
    public async Task OneEventDeliveredToBothReplicasAtOnceIsAnsweredOnce()
    {
        var envelope = ReplicaSlack.Mention("Ev-both-at-once", "C0TWICE", "help", ts: "1795424400.000300");

        var answers = await Task.WhenAll(
            ReplicaSlack.PostAsync(replicas.A, "/slack/events", envelope, "application/json"),
            ReplicaSlack.PostAsync(replicas.B, "/slack/events", envelope, "application/json"));
        await replicas.Slack.CallAsync(c => ReplicaSlack.Channel(c) == "C0TWICE");
        // The replica that lost the claim says so before it answers; until then its answer could still be on the way.
        await Eventually.TrueAsync(() => Task.FromResult(new[] { replicas.A, replicas.B }.Any(r => IsDroppedAsDuplicate(r, "Ev-both-at-once"))),
            Patience, () => "neither replica dropped the event as a duplicate:\n" + replicas.Logs());

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Single(replicas.Slack.Calls, c => ReplicaSlack.Channel(c) == "C0TWICE");
        foreach (var answer in answers)
            answer.Dispose();
    }

    private static bool IsDroppedAsDuplicate(Replica replica, string eventId) =>
        replica.Output.Contains($"Slack event {eventId} delivered again", StringComparison.Ordinal);

    private async Task DroppedAsDuplicateAsync(Replica replica, string eventId) =>
        await Eventually.TrueAsync(() => Task.FromResult(IsDroppedAsDuplicate(replica, eventId)), Patience,
            () => $"{replica.Name} did not drop {eventId} as a duplicate:\n" + replicas.Logs());
}
