using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ChatOpsBot.Tests;

/// <summary>The real host on Kestrel at a free loopback port, with its own data directory.</summary>
internal sealed class ChatOpsBotApplication : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public ChatOpsBotApplication(Dictionary<string, string?>? settings = null)
    {
        DataDirectory = Directory.CreateTempSubdirectory("chatopsbot-test-").FullName;
        _settings = new(settings ?? [])
        {
            ["ChatOpsBot:DataDirectory"] = DataDirectory,
        };
        UseKestrel(0);
    }

    public string DataDirectory { get; }

    public HttpClient CreateLoopbackClient()
    {
        StartServer();
        return CreateDefaultClient();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(DataDirectory))
            Directory.Delete(DataDirectory, recursive: true);
    }
}
