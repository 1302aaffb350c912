using ChatOpsBot;
using ChatOpsBot.Data;
using ChatOpsBot.Features.ApiKeys;
using ChatOpsBot.Features.Builds;

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

var app = builder.Build();

app.UseHttpApi();
app.MapHealth();
app.MapBuilds();

app.Run();

/// <summary>The host's entry point; public so the tests can boot it.</summary>
public partial class Program;
