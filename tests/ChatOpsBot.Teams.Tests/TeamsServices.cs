using System.Threading.Channels;
using ChatOpsBot.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace ChatOpsBot.Teams.Tests;

/// <summary>The Teams registrations pointed at the fake Microsoft side, on a fake clock that records its timers.</summary>
internal sealed class TeamsServices : IAsyncDisposable
{
    public TeamsServices(FakeBotFramework microsoft, Dictionary<string, string?>? extra = null)
    {
        var settings = microsoft.Settings();
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddTeams(configuration);
        services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock));
        Provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public RecordingTimeProvider Clock { get; } = new(new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero)));

    public ServiceProvider Provider { get; }

    public T Get<T>() where T : notnull => Provider.GetRequiredService<T>();

    /// <summary>Trusts a service URL as the authenticator does once an activity matches its validated token.</summary>
    public Task TrustAsync(string serviceUrl) => Get<ServiceUrlTrust>().TrustAsync(serviceUrl, CancellationToken.None);

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

/// <summary>A fake clock that tells which delays were asked of it.</summary>
internal sealed class RecordingTimeProvider(FakeTimeProvider inner) : TimeProvider
{
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public FakeTimeProvider Inner => inner;

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = inner.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    public async Task<TimeSpan> NextTimerAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _timers.Reader.ReadAsync(deadline.Token);
    }
}
