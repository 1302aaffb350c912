using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Logging;
using Hangfire.InMemory;
using Npgsql;

namespace ChatOpsBot.Jobs;

internal static class JobsRegistration
{
    public const string ExpireLinks = "expire-links";
    public const string Retention = "retention";
    public const string PruneEventClaims = "prune-event-claims";

    public static WebApplicationBuilder AddJobs(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(ChatOpsBotOptions.Section).Get<ChatOpsBotOptions>() ?? new();
        builder.Services.AddScoped<ExpireLinksJob>();
        builder.Services.AddScoped<RetentionJob>();
        builder.Services.AddScoped<PruneEventClaimsJob>();
        // Job state is disposable: anything that must survive a restart lives in the database first. The storage
        // follows the database provider: in memory for the one SQLite process; on PostgreSQL in the same database,
        // shared by every replica, so a recurring job runs once per schedule whichever replicas are up.
        // Storage and activator are registered per host rather than through Hangfire's process-wide statics
        // (JobStorage.Current, JobActivator.Current), so each host's jobs run against its own services.
        if (options.Database.Provider == DatabaseProvider.Postgres)
            builder.Services.AddSingleton<JobStorage>(services => PostgresJobStorage.Create(services.GetRequiredService<NpgsqlDataSource>()));
        else
            builder.Services.AddSingleton<JobStorage>(_ => new InMemoryStorage(new InMemoryStorageOptions { MaxExpirationTime = TimeSpan.FromHours(6) }));
        builder.Services.AddSingleton<JobActivator>(services => new AspNetCoreJobActivator(services.GetRequiredService<IServiceScopeFactory>()));
        builder.Services.AddHangfire((services, hangfire) => hangfire
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HostLogProvider(services.GetRequiredService<ILoggerFactory>())));
        if (options.Jobs.Enabled)
        {
            builder.Services.AddHangfireServer(server =>
            {
                server.WorkerCount = Math.Max(2, Environment.ProcessorCount);
                server.ServerName = $"chatopsbot-{Environment.MachineName}";
            });
            builder.Services.AddHostedService<RecurringJobsRegistration>();
        }
        return builder;
    }

    public static WebApplication MapJobs(this WebApplication app)
    {
        // Read from configuration, not the validated options: validation belongs to start-up, which reports it cleanly.
        if (app.Configuration.GetValue($"{ChatOpsBotOptions.Section}:Jobs:Dashboard", defaultValue: true))
        {
            // Endpoint authorization replaces Hangfire's local-requests-only default: Admin API keys and Admins' console
            // sessions, nobody else.
            app.MapHangfireDashboardWithAuthorizationPolicy(Features.Web.FirstRunRegistration.Dashboard, "/hangfire",
                new DashboardOptions { Authorization = [], AsyncAuthorization = [], DisplayStorageConnectionString = false });
        }
        return app;
    }
}

/// <summary>
/// Puts the recurring jobs in place at start; ids are stable, so every replica registers the same ones. With job
/// storage in PostgreSQL a database that is unreachable at that moment does not stop the start: the registration is
/// tried again in the background until it succeeds (the job server, too, waits for the database on its own).
/// </summary>
internal sealed partial class RecurringJobsRegistration(IRecurringJobManager jobs, TimeProvider time, ILogger<RecurringJobsRegistration> logger) : IHostedService, IDisposable
{
    internal static readonly TimeSpan Retry = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stopping = new();
    private Task _retrying = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!TryRegister())
            _retrying = RetryAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    private bool TryRegister()
    {
        try
        {
            jobs.AddOrUpdate<ExpireLinksJob>(JobsRegistration.ExpireLinks, job => job.RunAsync(CancellationToken.None), Cron.Minutely());
            jobs.AddOrUpdate<RetentionJob>(JobsRegistration.Retention, job => job.RunAsync(CancellationToken.None), Cron.Hourly());
            jobs.AddOrUpdate<PruneEventClaimsJob>(JobsRegistration.PruneEventClaims, job => job.RunAsync(CancellationToken.None), Cron.Hourly());
            return true;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException || e.InnerException is Npgsql.NpgsqlException)
        {
            LogRegistrationFailed(Retry, e);
            return false;
        }
    }

    private async Task RetryAsync(CancellationToken stopping)
    {
        try
        {
            do
                await Task.Delay(Retry, time, stopping);
            while (!TryRegister());
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _retrying.WaitAsync(cancellationToken);
    }

    public void Dispose() => _stopping.Dispose();

    [LoggerMessage(EventId = 5713, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Could not register the recurring jobs with the job storage; trying again in {Retry}")]
    private partial void LogRegistrationFailed(TimeSpan retry, Exception exception);
}

/// <summary>
/// Hangfire logs through one process-wide provider; this one outlives the host that set it (tests run several hosts
/// in one process) by falling silent instead of failing once that host's logger factory is disposed.
/// </summary>
internal sealed class HostLogProvider(ILoggerFactory loggers) : ILogProvider
{
    private readonly AspNetCoreLogProvider _inner = new(loggers);

    public ILog GetLogger(string name)
    {
        try
        {
            return _inner.GetLogger(name);
        }
        catch (ObjectDisposedException)
        {
            return Silent.Instance;
        }
    }

    private sealed class Silent : ILog
    {
        public static readonly Silent Instance = new();

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}
