using ChatOpsBot;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json travels next to the binaries; the working directory is where data lives.
    ContentRootPath = AppContext.BaseDirectory,
});

builder.AddHealth();

var app = builder.Build();

app.MapHealth();

app.Run();

/// <summary>The host's entry point; public so the tests can boot it.</summary>
public partial class Program;
