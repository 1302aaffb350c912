using System.Collections;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ChatOpsBot.Tests;

/// <summary>
/// A host whose OpenTelemetry providers export to memory, beside a fake Slack. Spans are told apart from other hosts'
/// (tests run in parallel, and instrumentation listens process-wide) by the trace a test starts with
/// <see cref="StartTrace"/>, which the test's HTTP client carries to the host; the product's measurements by the
/// host's own meter factory. What the in-memory exporters saw is kept whole, for the secrecy checks.
/// </summary>
internal sealed class TelemetryHost : IAsyncDisposable
{
    public static readonly ActivitySource Tests = new("ChatOpsBot.Tests.Telemetry");

    private HttpClient? _client;
    private ProductMeasurements? _measurements;

    private TelemetryHost(FakeSlackApi slack, Dictionary<string, string?>? extra)
    {
        Slack = slack;
        var settings = SlackEndToEndHost.Settings(slack, extra);
        App = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(settings), services: services => services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(Tests.Name).AddInMemoryExporter(Spans))
            .WithMetrics(metrics => metrics.AddInMemoryExporter(Metrics)));
    }

    public static async Task<TelemetryHost> StartAsync(Dictionary<string, string?>? extra = null) => new(await FakeSlackApi.StartAsync(), extra);

    public FakeSlackApi Slack { get; }

    public ChatOpsBotApplication App { get; }

    public LockedList<Activity> Spans { get; } = new();

    public LockedList<MetricSnapshot> Metrics { get; } = new();

    public HttpClient Client => _client ??= App.CreateLoopbackClient();

    /// <summary>The product's measurements on this host alone.</summary>
    public ProductMeasurements Measurements
    {
        get
        {
            _ = Client;
            return _measurements ??= new ProductMeasurements(App.Services.GetRequiredService<IMeterFactory>());
        }
    }

    /// <summary>A root span; requests the test sends while it is current belong to its trace.</summary>
    public static Activity StartTrace(string name) => Tests.StartActivity(name, ActivityKind.Internal) ?? throw new InvalidOperationException("No listener for the test's spans.");

    public List<Activity> SpansOf(Activity trace) => [.. Spans.Snapshot().Where(s => s.TraceId == trace.TraceId)];

    /// <summary>The server span of a route in the trace, once the host has ended it (it ends after the response left).</summary>
    public Task<Activity> ServerSpanAsync(Activity trace, string method, string route) => Awaited.ValueAsync(
        () => SpansOf(trace).FirstOrDefault(s => s.Kind == ActivityKind.Server && Tag(s, "http.route") == route && Tag(s, "http.request.method") == method),
        $"a server span {method} {route}", () => string.Join("; ", SpansOf(trace).Select(s => $"{s.Kind} {s.Source.Name} {s.DisplayName} route={Tag(s, "http.route")}")));

    public static string? Tag(Activity span, string key) => span.GetTagItem(key)?.ToString();

    /// <summary>
    /// Everything the exporters were given, as text: span names, tags, events, statuses; metric names and labels. The
    /// fake Slack's own server spans are left out: they are Slack's side of the wire (instrumentation sees every host
    /// in the process), where a response_url's path is the request's.
    /// </summary>
    public string ExportedText()
    {
        App.Services.GetRequiredService<MeterProvider>().ForceFlush();
        var text = new StringBuilder();
        var slackPort = new Uri(Slack.ApiBaseUrl).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var span in Spans.Snapshot().Where(s => !(s.Kind == ActivityKind.Server && Tag(s, "server.port") == slackPort)))
        {
            text.Append(span.DisplayName).Append(' ').Append(span.OperationName).Append(' ').Append(span.StatusDescription).AppendLine();
            foreach (var (key, value) in span.TagObjects)
                text.Append(key).Append('=').Append(value).AppendLine();
            foreach (var e in span.Events)
            {
                text.Append(e.Name).AppendLine();
                foreach (var (key, value) in e.Tags)
                    text.Append(key).Append('=').Append(value).AppendLine();
            }
            foreach (var (key, value) in span.Baggage)
                text.Append(key).Append('=').Append(value).AppendLine();
        }
        foreach (var metric in Metrics.Snapshot())
        {
            text.Append(metric.Name).AppendLine();
            foreach (var point in metric.MetricPoints)
            {
                foreach (var (key, value) in point.Tags)
                    text.Append(key).Append('=').Append(value).AppendLine();
            }
        }
        return text.ToString();
    }

    /// <summary>The names of the metrics the in-memory exporter received.</summary>
    public HashSet<string> ExportedMetricNames()
    {
        App.Services.GetRequiredService<MeterProvider>().ForceFlush();
        return [.. Metrics.Snapshot().Select(m => m.Name)];
    }

    public async Task<long> UploadAsync(string app, bool announce = false)
    {
        var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()));
        builder.WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)));
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent(app), "app" },
            { new ByteArrayContent(builder.Build()), "file", "Demo.ipa" },
        };
        if (announce)
            form.Add(new StringContent("true"), "announce");
        using var api = App.CreateClient(announce ? ChatOpsBotApplication.ReleaseManagerKey : ChatOpsBotApplication.UploaderKey);
        using var response = await api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync() + App.ServerErrors());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    public async ValueTask DisposeAsync()
    {
        _measurements?.Dispose();
        _client?.Dispose();
        await App.DisposeAsync();
        await Slack.DisposeAsync();
    }
}

/// <summary>The "ChatOpsBot" meter's measurements from one host (one meter factory), as they are recorded.</summary>
internal sealed class ProductMeasurements : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly LockedList<(string Instrument, double Value, Dictionary<string, string?> Tags)> _recorded = new();

    public ProductMeasurements(IMeterFactory scope)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ChatOpsBotMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, tag) in tags)
            copy[key] = tag?.ToString();
        _recorded.Add((instrument.Name, value, copy));
    }

    /// <summary>The sum of an instrument's measurements whose tags include these.</summary>
    public double Sum(string instrument, params (string Key, string Value)[] tags) => Matching(instrument, tags).Sum(m => m.Value);

    public int Count(string instrument, params (string Key, string Value)[] tags) => Matching(instrument, tags).Count;

    /// <summary>Waits (bounded) until the sum reaches <paramref name="expected"/>; measurements made after a response left arrive a moment later.</summary>
    public Task WaitForSumAsync(double expected, string instrument, params (string Key, string Value)[] tags) =>
        Awaited.TrueAsync(() => Sum(instrument, tags) >= expected, $"{instrument} {string.Join(",", tags)} to reach {expected}, saw {Sum(instrument, tags)}");

    private List<(string Instrument, double Value, Dictionary<string, string?> Tags)> Matching(string instrument, (string Key, string Value)[] tags) =>
        [.. _recorded.Snapshot().Where(m => m.Instrument == instrument && tags.All(t => m.Tags.TryGetValue(t.Key, out var v) && v == t.Value))];

    public void Dispose() => _listener.Dispose();
}

/// <summary>A list the exporters add to from the host's threads while a test reads it.</summary>
internal sealed class LockedList<T> : ICollection<T>
{
    private readonly Lock _lock = new();
    private readonly List<T> _items = [];

    public List<T> Snapshot()
    {
        lock (_lock)
            return [.. _items];
    }

    public int Count
    {
        get
        {
            lock (_lock)
                return _items.Count;
        }
    }

    public bool IsReadOnly => false;

    public void Add(T item)
    {
        lock (_lock)
            _items.Add(item);
    }

    public void Clear()
    {
        lock (_lock)
            _items.Clear();
    }

    public bool Contains(T item)
    {
        lock (_lock)
            return _items.Contains(item);
    }

    public void CopyTo(T[] array, int arrayIndex)
    {
        lock (_lock)
            _items.CopyTo(array, arrayIndex);
    }

    public bool Remove(T item)
    {
        lock (_lock)
            return _items.Remove(item);
    }

    public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Waits, bounded, for something the host finishes after its response has left (a span's end, a measurement).</summary>
internal static class Awaited
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    public static async Task TrueAsync(Func<bool> condition, string what, Func<string>? seen = null)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > Bound)
                Assert.Fail($"Waited {Bound} for {what}." + (seen is null ? "" : " Saw: " + seen()));
            await Task.Delay(10);
        }
    }

    public static async Task<T> ValueAsync<T>(Func<T?> find, string what, Func<string>? seen = null) where T : class
    {
        T? found = null;
        await TrueAsync(() => (found = find()) is not null, what, seen);
        return found!;
    }
}
