using ChatOpsBot;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Announcements;
using ChatOpsBot.Features.ApiKeys;
using ChatOpsBot.Features.Builds;
using ChatOpsBot.Features.Chat;
using ChatOpsBot.Features.Install;
using ChatOpsBot.Features.LinkMessages;
using ChatOpsBot.Features.Links;
using ChatOpsBot.Jobs;
using ChatOpsBot.Slack;
using ChatOpsBot.Teams;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json travels next to the binaries; the working directory is where data lives.
    ContentRootPath = AppContext.BaseDirectory,
});

builder.AddChatOpsBotOptions();
builder.AddHttpApi();
builder.AddHealth();
builder.AddData();
builder.AddApiKeys();
builder.AddBuilds();
builder.AddLinks();
builder.AddInstall();
builder.AddChat();
builder.AddJobs();
builder.AddAnnouncements();
builder.AddLinkMessages();
builder.AddSlack();
builder.AddTeams();
builder.AddTeamsPersistence();

var app = builder.Build();

app.UseHttpApi();
app.MapHealth();
app.MapBuilds();
app.MapLinksApi();
app.MapInstall();
app.MapJobs();
app.MapAnnouncements();
app.MapSlack();
app.MapTeams();

try
{
    app.Run();
    return 0;
}
catch (OptionsValidationException e)
{
    // A configuration mistake is the operator's to fix: say which keys, without a stack trace.
    await Console.Error.WriteLineAsync("ChatOpsBot cannot start:" + string.Concat(e.Failures.Select(f => Environment.NewLine + "  " + f)));
    return 1;
}

/// <summary>The host's entry point; public so the tests can boot it.</summary>
public partial class Program;
