using ChatOpsBot;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Announcements;
using ChatOpsBot.Features.ApiKeys;
using ChatOpsBot.Features.Builds;
using ChatOpsBot.Features.Chat;
using ChatOpsBot.Features.Devices;
using ChatOpsBot.Features.Doctor;
using ChatOpsBot.Features.Install;
using ChatOpsBot.Features.LinkMessages;
using ChatOpsBot.Features.Links;
using ChatOpsBot.Features.Web;
using ChatOpsBot.Jobs;
using ChatOpsBot.Slack;
using ChatOpsBot.Telemetry;
using ChatOpsBot.Teams;
using Microsoft.Extensions.Options;

// `dotnet ChatOpsBot.dll healthcheck` probes the host running beside it, for a container's HEALTHCHECK.
if (args is [HealthCheckCommand.Name, ..])
    return await HealthCheckCommand.RunAsync(args[1..], Console.Out, Console.Error);

// `dotnet ChatOpsBot.dll migrate` upgrades the database and exits, for operators who migrate as a deploy step.
var migrateOnly = args is ["migrate", ..];
// `dotnet ChatOpsBot.dll doctor` checks what installs need (the public origin, its certificate, the proxy, storage) and exits.
var doctor = args is [DoctorCommand.Name, ..];
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = migrateOnly || doctor ? args[1..] : args,
    // appsettings.json travels next to the binaries; the working directory is where data lives.
    ContentRootPath = AppContext.BaseDirectory,
});

// Some settings are read while services are registered: a value that is not a number or a time fails there.
try
{
    builder.AddHosting();
    builder.AddChatOpsBotOptions();
    builder.AddHttpApi();
    builder.AddTelemetry();
    builder.AddHealth();
    builder.AddData();
    builder.AddApiKeys();
    builder.AddBuilds();
    builder.AddLinks();
    builder.AddInstall();
    builder.AddChat();
    builder.AddDevices();
    builder.AddJobs();
    builder.AddAnnouncements();
    builder.AddLinkMessages();
    builder.AddSlack();
    builder.AddSlackPersistence();
    builder.AddTeams();
    builder.AddTeamsPersistence();
    builder.AddDoctor();
    builder.AddWebConsole();
    builder.AddFirstRun();
    if (doctor)
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);

    var app = builder.Build();
    // Before anything resolves a service, so a configuration mistake is reported here rather than logged with a stack
    // trace by the host (which then throws it again), and every mistake at once: mapping Hangfire's dashboard takes
    // its storage, which on PostgreSQL takes the database settings, and would report only theirs.
    app.Services.GetService<IStartupValidator>()?.Validate();

    app.UseHttpApi();
    app.UseTelemetry();
    app.MapHealth();
    app.MapTelemetry();
    app.MapBuilds();
    app.MapLinksApi();
    app.MapInstall();
    app.MapDevices();
    app.MapJobs();
    app.MapAnnouncements();
    app.MapSlack();
    app.MapTeams();
    app.MapWebConsole();

    if (doctor)
    {
        var exit = await DoctorCommand.RunAsync(app.Services, Console.Out, CancellationToken.None);
        await app.DisposeAsync();
        return exit;
    }

    // Before the host starts: a database this binary cannot serve is reported like a configuration mistake.
    var options = app.Services.GetRequiredService<IOptions<ChatOpsBotOptions>>().Value;
    await app.Services.GetRequiredService<DatabaseSchema>().PrepareAsync(migrate: migrateOnly || options.Database.MigrateAtStart, CancellationToken.None);
    if (migrateOnly)
    {
        // Flushes the log of what was applied.
        await app.DisposeAsync();
        return 0;
    }
    // The console's first key, and while no administrator is configured, the one-time set-up address in the log.
    await app.Services.GetRequiredService<FirstRun>().PrepareAsync(app.Services, CancellationToken.None);
    app.Run();
    return 0;
}
catch (Exception e) when (ConfigurationErrors(e) is { Count: > 0 } failures)
{
    // A configuration mistake is the operator's to fix: say which keys, without a stack trace.
    await Console.Error.WriteLineAsync("ChatOpsBot cannot start:" + string.Concat(failures.Select(f => Environment.NewLine + "  " + f)));
    return 1;
}

static List<string> ConfigurationErrors(Exception e) => e switch
{
    DatabaseSchemaException schema => [schema.Message],
    OptionsValidationException invalid => [.. invalid.Failures],
    // The binder's own sentence names the key, the value and the type it should have been.
    InvalidOperationException { InnerException: not null } unreadable when unreadable.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) =>
        [unreadable.Message],
    AggregateException all when all.InnerExceptions.Select(ConfigurationErrors).ToList() is var each && each.All(f => f.Count > 0) =>
        [.. each.SelectMany(f => f)],
    _ => [],
};

/// <summary>The host's entry point; public so the tests can boot it.</summary>
public partial class Program;
