using ChatOpsBot.Features.ApiKeys;
using Hangfire;
using Hangfire.InMemory;

namespace ChatOpsBot.Jobs;

internal static class JobsRegistration
{
    public const string ExpireLinks = "expire-links";
    public const string Retention = "retention";

    public static WebApplicationBuilder AddJobs(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(ChatOpsBotOptions.Section).Get<ChatOpsBotOptions>() ?? new();
        builder.Services.AddScoped<ExpireLinksJob>();
        builder.Services.AddScoped<RetentionJob>();
        // Job state is disposable: anything that must survive a restart lives in the database first. The storage
        // follows the database provider, so PostgreSQL deployments get shared job storage in the scale-out work.
        builder.Services.AddHangfire(hangfire => hangfire
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseInMemoryStorage(new InMemoryStorageOptions { MaxExpirationTime = TimeSpan.FromHours(6) }));
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
            // Endpoint authorization replaces Hangfire's local-requests-only default: Admin API keys, nobody else.
            app.MapHangfireDashboardWithAuthorizationPolicy(ApiKeyAuthentication.Admin, "/hangfire",
                new DashboardOptions { Authorization = [], AsyncAuthorization = [], DisplayStorageConnectionString = false });
        }
        return app;
    }
}

/// <summary>Puts the recurring jobs in place at start; ids are stable, so every replica registers the same two.</summary>
internal sealed class RecurringJobsRegistration(IRecurringJobManager jobs) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        jobs.AddOrUpdate<ExpireLinksJob>(JobsRegistration.ExpireLinks, job => job.RunAsync(CancellationToken.None), Cron.Minutely());
        jobs.AddOrUpdate<RetentionJob>(JobsRegistration.Retention, job => job.RunAsync(CancellationToken.None), Cron.Hourly());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
