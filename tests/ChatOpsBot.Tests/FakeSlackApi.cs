using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Tests;

/// <summary>One request the fake Slack received, as data.</summary>
internal sealed record FakeSlackCall(string Path, string? Authorization, string? ContentType, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>What the fake answered.</summary>
    public FakeSlackAnswer? Answer { get; init; }
}

/// <summary>What the fake Slack answers to one request.</summary>
internal sealed record FakeSlackAnswer(int Status, string Body, string? RetryAfter = null)
{
    public static readonly FakeSlackAnswer Ok = new(200, """{"ok":true}""");

    public static FakeSlackAnswer Error(string code) => new(200, $$"""{"ok":false,"error":"{{code}}"}""");
}

/// <summary>
/// Slack's Web API and response URLs on a loopback port: records every request and answers <c>ok:true</c> unless a
/// test queued other answers for a path (<c>/api/chat.postMessage</c>, <c>/hooks/…</c>).
/// </summary>
internal sealed class FakeSlackApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<FakeSlackAnswer>> _answers = new(StringComparer.Ordinal);
    private readonly Channel<FakeSlackCall> _arrivals = Channel.CreateUnbounded<FakeSlackCall>();
    private readonly ConcurrentQueue<FakeSlackCall> _calls = new();
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Func<FakeSlackCall, bool> Match, int Left)> _holds = [];
    private readonly ConcurrentQueue<FakeSlackCall> _held = new();

    private FakeSlackApi(WebApplication app) => _app = app;

    public static async Task<FakeSlackApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeSlackApi(app);
        app.Run(fake.AnswerAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        fake.Origin = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return fake;
    }

    public Uri Origin { get; private set; } = null!;

    /// <summary>The Date header of every answer, for tests that compare clocks; Kestrel's own (the real clock) when null.</summary>
    public DateTimeOffset? Date { get; set; }

    public string ApiBaseUrl => new Uri(Origin, "/api/").ToString();

    public string ResponseUrl(string name) => new Uri(Origin, "/hooks/" + name).ToString();

    public IReadOnlyList<FakeSlackCall> Calls => [.. _calls];

    public void Enqueue(string path, params FakeSlackAnswer[] answers)
    {
        var queue = _answers.GetOrAdd(path, _ => new());
        foreach (var answer in answers)
            queue.Enqueue(answer);
    }

    /// <summary>The next request to arrive, waiting for background work without a fixed sleep.</summary>
    public async Task<FakeSlackCall> NextCallAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _arrivals.Reader.ReadAsync(deadline.Token);
    }

    /// <summary>
    /// The first request, arrived or still to come, that matches: for tests that share one fake and tell their own
    /// requests by path or channel. Waits for background work without a fixed sleep.
    /// </summary>
    public Task<FakeSlackCall> CallAsync(Func<FakeSlackCall, bool> match) => CallAsync(match, 0);

    /// <summary>The <paramref name="index"/>th request (from 0) that matches, arrived or still to come, in the order they arrived.</summary>
    public Task<FakeSlackCall> CallAsync(Func<FakeSlackCall, bool> match, int index) => ArrivalAsync(_calls, match, index);

    /// <summary>
    /// Holds the next <paramref name="count"/> requests that match without answering, until their client goes away
    /// (a process killed mid-request): Slack never saw them through, so they are in <see cref="Held"/>, not <see cref="Calls"/>.
    /// </summary>
    public void HoldUntilAborted(Func<FakeSlackCall, bool> match, int count = 1)
    {
        lock (_holds)
            _holds.Add((match, count));
    }

    /// <summary>The requests held so far.</summary>
    public IReadOnlyList<FakeSlackCall> Held => [.. _held];

    /// <summary>The first held request that matches, held already or still to come.</summary>
    public Task<FakeSlackCall> HeldAsync(Func<FakeSlackCall, bool> match) => ArrivalAsync(_held, match, 0);

    private async Task<FakeSlackCall> ArrivalAsync(ConcurrentQueue<FakeSlackCall> calls, Func<FakeSlackCall, bool> match, int index)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            // Taken before looking, so a request arriving in between completes it.
            var arrived = Volatile.Read(ref _arrived).Task;
            if (calls.Where(match).ElementAtOrDefault(index) is { } call)
                return call;
            await arrived.WaitAsync(deadline.Token);
        }
    }

    private bool TakeHold(FakeSlackCall call)
    {
        lock (_holds)
        {
            var i = _holds.FindIndex(h => h.Left > 0 && h.Match(call));
            if (i < 0)
                return false;
            _holds[i] = (_holds[i].Match, _holds[i].Left - 1);
            return true;
        }
    }

    private async Task AnswerAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body);
        var call = new FakeSlackCall(http.Request.Path, http.Request.Headers.Authorization, http.Request.ContentType, await reader.ReadToEndAsync(http.RequestAborted));
        if (TakeHold(call))
        {
            _held.Enqueue(call);
            Interlocked.Exchange(ref _arrived, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }
        var answer = _answers.TryGetValue(call.Path, out var queue) && queue.TryDequeue(out var queued)
            ? queued
            : call.Path.StartsWith("/hooks/", StringComparison.Ordinal) ? new FakeSlackAnswer(200, "ok") : FakeSlackAnswer.Ok;
        call = call with { Answer = answer };
        _calls.Enqueue(call);
        http.Response.StatusCode = answer.Status;
        if (Date is { } date)
            http.Response.Headers.Date = date.ToString("r", System.Globalization.CultureInfo.InvariantCulture);
        if (answer.RetryAfter is not null)
            http.Response.Headers.RetryAfter = answer.RetryAfter;
        http.Response.ContentType = answer.Body.StartsWith('{') ? "application/json; charset=utf-8" : "text/plain";
        await http.Response.WriteAsync(answer.Body, http.RequestAborted);
        _arrivals.Writer.TryWrite(call);
        Interlocked.Exchange(ref _arrived, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
