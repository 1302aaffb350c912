using ChatOpsBot.Features.Doctor;

namespace ChatOpsBot.Tests.Doctor;

/// <summary><c>dotnet ChatOpsBot.dll doctor</c> as an operator runs it: its own process, the host's configuration.</summary>
public sealed class DoctorCommandTests
{
    private const string SecretKey = "doctor-test-api-key-never-printed-0123";

    [Fact]
    public async Task DoctorBesideARunningHostPrintsALinePerCheckAndExitsZeroWhenNothingIsAProblem()
    {
        // On PostgreSQL the job storage is shared, and the doctor looks for a server's heartbeat there: this host has one.
        using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(new() { ["ChatOpsBot:Jobs:Enabled"] = TestProvider.IsPostgres ? "true" : "false" }),
            servePublicBaseUrl: true);
        await app.UploadDemoAsync();

        var (exit, output) = await HostProcess.RunToExitAsync([DoctorCommand.Name], app.DataDirectory, Environment(app.DataDirectory, app.PublicBaseUrl));

        var lines = Findings(output);
        Assert.True(exit == 0, output);
        Assert.StartsWith("warning  PublicBaseUrl              http://127.0.0.1:", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("ok       install page               GET /i/{token} of a probe link to demo beta answered 200 text/html.", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("ok       manifest ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("ok       IPA download ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("ok       database ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("ok       artifact store ", StringComparison.Ordinal));
        Assert.DoesNotContain(SecretKey, output, StringComparison.Ordinal);
        Assert.DoesNotContain(ChatOpsBotApplication.UploaderKey, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DoctorExitsOneWhenACheckIsAProblemAndNeverMigrates()
    {
        var data = Directory.CreateTempSubdirectory("chatopsbot-doctor-").FullName;
        try
        {
            // Nothing listens there, and it is an IP address: problems both.
            var environment = Environment(data, $"https://127.0.0.1:{Loopback.FreePort()}");
            environment["ChatOpsBot__Database__MigrateAtStart"] = "false";
            var (exit, output) = await HostProcess.RunToExitAsync([DoctorCommand.Name], data, environment);

            var lines = Findings(output);
            Assert.True(exit == 1, output);
            Assert.Contains(lines, l => l.StartsWith("problem  PublicBaseUrl name         127.0.0.1 is an IP address", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("problem  PublicBaseUrl certificate  no TLS connection", StringComparison.Ordinal));
            // A fresh database: the doctor says it is behind rather than migrating it, and probes nothing.
            Assert.Contains(lines, l => l.StartsWith("warning  install page               not probed: a probe link needs a current database", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("problem  database                   The database is behind this version", StringComparison.Ordinal));
            Assert.DoesNotContain(SecretKey, output, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
            TestProvider.RemoveDatabase(data);
        }
    }

    [Fact]
    public async Task DatabaseBehindIsAWarningWhenTheHostMigratesAtStart()
    {
        var data = Directory.CreateTempSubdirectory("chatopsbot-doctor-").FullName;
        try
        {
            var (exit, output) = await HostProcess.RunToExitAsync([DoctorCommand.Name], data, Environment(data, "http://127.0.0.1:5080"));

            var lines = Findings(output);
            Assert.True(exit == 0, output);
            Assert.Contains(lines, l => l.StartsWith("warning  database                   the database is behind this version", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith(TestProvider.IsPostgres ? "warning  job storage                not checked" : "ok       job storage ", StringComparison.Ordinal));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
            TestProvider.RemoveDatabase(data);
        }
    }

    [Fact]
    public async Task PostgresServerThatIsNotThereIsAProblemAtOnceAndThePasswordIsNotPrinted()
    {
        const string password = "doctor-database-password-never-printed";
        var data = Directory.CreateTempSubdirectory("chatopsbot-doctor-").FullName;
        try
        {
            var environment = Environment(data, "http://127.0.0.1:5080");
            environment["ChatOpsBot__Database__Provider"] = "Postgres";
            environment["ChatOpsBot__Database__ConnectionString"] = $"Host=127.0.0.1;Port={Loopback.FreePort()};Database=chatopsbot;Username=chatopsbot;Password={password}";

            var (exit, output) = await HostProcess.RunToExitAsync([DoctorCommand.Name], data, environment);

            var lines = Findings(output);
            Assert.True(exit == 1, output);
            Assert.Contains(lines, l => l.StartsWith("problem  database                   the Postgres database cannot be reached", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("warning  job storage                not checked", StringComparison.Ordinal));
            Assert.DoesNotContain(password, output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static Dictionary<string, string> Environment(string data, string publicBaseUrl) => new()
    {
        ["ChatOpsBot__DataDirectory"] = data,
        ["ChatOpsBot__PublicBaseUrl"] = publicBaseUrl,
        ["ChatOpsBot__ApiKeys__0__Name"] = "ci",
        ["ChatOpsBot__ApiKeys__0__Key"] = SecretKey,
        ["ChatOpsBot__ApiKeys__0__Role"] = "Uploader",
    };

    /// <summary>The findings on standard output; the host's log lines go to standard error.</summary>
    private static List<string> Findings(string output) =>
        [.. output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("ok ", StringComparison.Ordinal) || l.StartsWith("warning ", StringComparison.Ordinal) || l.StartsWith("problem ", StringComparison.Ordinal))];
}
