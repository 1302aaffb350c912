using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace ChatOpsBot.Tests;

/// <summary>
/// A throwaway PostgreSQL cluster of its own: initdb into a temporary directory, pg_ctl on a free loopback port, run as
/// the postgres user when the tests run as root (PostgreSQL refuses root). Tuned for tests, not durability: nothing is
/// fsynced. Tests that stop or restart PostgreSQL use one of their own; the rest share <see cref="TestPostgres"/>'s.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    /// <summary>Every cluster's directory starts with this, so a later run finds the ones a killed run left.</summary>
    internal const string DirectoryPrefix = "chatopsbot-pg-";

    /// <summary>
    /// The file in a cluster's directory naming the process it belongs to: a pid, then "starttime=" and its start in
    /// clock ticks since boot. (An earlier harness wrote a bare number there, compared with Process.StartTime; written
    /// this way, copies of it still running elsewhere leave these clusters alone.)
    /// </summary>
    private const string OwnerFile = "owner";

    // Fast and roomy: many hosts at once, each with its own pool, and nothing waits on the disk.
    private static readonly string[] Settings =
    [
        "listen_addresses = '127.0.0.1'",
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "max_connections = 500",
        "shared_buffers = 64MB",
        "max_wal_size = 1GB",
        "checkpoint_timeout = 30min",
        "log_min_messages = warning",
        "log_connections = off",
        "log_disconnections = off",
    ];

    private static readonly Lazy<string> BinDirectory = new(FindBinDirectory);

    private readonly string _root;
    private readonly Process _watchdog;
    private int _stopped;

    private PostgresCluster(string root)
    {
        _root = root;
        _watchdog = StartWatchdog(root, Path.Combine(root, "data"));
    }

    public int Port { get; private set; }

    /// <summary>The cluster's directory: its data directory and the file naming the test process that owns it.</summary>
    internal string RootDirectory => _root;

    internal const string OwnerFileName = OwnerFile;

    private string DataDirectory => Path.Combine(_root, "data");

    private string LogFile => Path.Combine(DataDirectory, "server.log");

    /// <summary>Connection string of the cluster's superuser, without a database (Npgsql then uses "postgres").</summary>
    public string ServerConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
    }.ConnectionString;

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = database }.ConnectionString;

    public static Task<PostgresCluster> StartAsync() => Task.Run(Start);

    /// <summary>Makes and starts a cluster, blocking until it accepts connections.</summary>
    internal static PostgresCluster Start()
    {
        RemoveStaleClusters();
        var root = Directory.CreateTempSubdirectory(DirectoryPrefix).FullName;
        try
        {
            // mkdtemp makes it 0700; the postgres user must reach the data directory inside.
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                    UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            // Written whole, then renamed into place: another run's scan must never read it half written.
            File.WriteAllText(Path.Combine(root, OwnerFile + ".new"), $"{Environment.ProcessId}\nstarttime={StartedAt(Environment.ProcessId)}\n");
            File.Move(Path.Combine(root, OwnerFile + ".new"), Path.Combine(root, OwnerFile));
            var cluster = new PostgresCluster(root);
            try
            {
                cluster.Initialize();
                cluster.StartOnFreePort();
            }
            catch
            {
                cluster.Remove();
                throw;
            }
            return cluster;
        }
        catch
        {
            RemoveDirectory(root);
            throw;
        }
    }

    /// <summary>Stops the server (fast shutdown: sessions end, committed data stays); the data directory remains.</summary>
    public Task StopAsync() => Task.Run(() => PgCtl("stop", "-m", "fast", "-w"));

    /// <summary>Starts the stopped server again on the same port with the same data.</summary>
    public Task StartAgainAsync() => Task.Run(() =>
    {
        if (!TryStartOn(Port, out var log))
            throw new InvalidOperationException($"PostgreSQL did not start again on port {Port}:\n{log}");
    });

    /// <summary>Stops and starts the server on the same port, as a database restart during an upgrade does.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAgainAsync();
    }

    public ValueTask DisposeAsync()
    {
        Remove();
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops the server at once (no need to keep a throwaway cluster's data) and deletes its directory.</summary>
    internal void Remove()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
            return;
        StopImmediately(DataDirectory);
        RemoveDirectory(_root);
        // Nothing left for the watchdog to do: let it go.
        _watchdog.StandardInput.Close();
        _watchdog.Dispose();
    }

    /// <summary>
    /// A process outside this one that stops the server and deletes its directory once this test process is gone,
    /// however it ends (a normal exit, the test runner killing it, a crash): it waits for the end of a pipe only this
    /// process writes to, which the kernel closes when this process dies. It detaches, so killing the test process's
    /// tree does not take it along.
    /// </summary>
    private static Process StartWatchdog(string root, string data)
    {
        var stop = RunsAsRoot ? "runuser -u postgres -- \"$3\"" : "\"$3\"";
        var script = "exec 3<&0; ( cat <&3; " + stop + " -D \"$2\" -m immediate -w stop; rm -rf \"$1\" ) </dev/null >/dev/null 2>&1 &";
        var info = new ProcessStartInfo("sh")
        {
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in (string[])["-c", script, "sh", root, data, Tool("pg_ctl")])
            info.ArgumentList.Add(argument);
        return Process.Start(info)!;
    }

    private void Initialize()
    {
        Directory.CreateDirectory(DataDirectory);
        if (RunsAsRoot)
            Run("chown", ["postgres:postgres", DataDirectory], asPostgres: false);
        Run(Tool("initdb"), ["-D", DataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
        File.AppendAllLines(Path.Combine(DataDirectory, "postgresql.conf"),
            [.. Settings, $"unix_socket_directories = '{DataDirectory}'"]);
    }

    /// <summary>A port free now may be taken by the time the server binds it (other test runs share the machine): try another.</summary>
    private void StartOnFreePort()
    {
        var log = "";
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (TryStartOn(Loopback.FreePort(), out log))
                return;
        }
        throw new InvalidOperationException("PostgreSQL did not start:\n" + log);
    }

    private bool TryStartOn(int port, out string log)
    {
        var (exit, output) = TryRun(Tool("pg_ctl"), ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "120", "-o", $"-p {port}", "start"]);
        if (exit == 0)
        {
            Port = port;
            log = "";
            return true;
        }
        log = output + (File.Exists(LogFile) ? "\n" + File.ReadAllText(LogFile) : "");
        // A server that failed to bind has exited; make sure nothing is left half started before another try.
        TryRun(Tool("pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]);
        return false;
    }

    private void PgCtl(params string[] arguments) => Run(Tool("pg_ctl"), ["-D", DataDirectory, .. arguments]);

    /// <summary>Stops and deletes clusters whose test process is gone: a run that was killed never removed its own.</summary>
    private static void RemoveStaleClusters()
    {
        foreach (var root in Directory.EnumerateDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            try
            {
                if (OwnerIsAlive(Path.Combine(root, OwnerFile)))
                    continue;
                var data = Path.Combine(root, "data");
                if (File.Exists(Path.Combine(data, "postmaster.pid")))
                    StopImmediately(data);
                RemoveDirectory(root);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Another user's, or being removed by its owner right now: not ours to clean.
            }
        }
    }

    private static bool OwnerIsAlive(string ownerFile)
    {
        // Being made right now, or its owner was killed before naming itself: judge by age.
        var young = Directory.GetLastWriteTimeUtc(Path.GetDirectoryName(ownerFile)!) > DateTime.UtcNow.AddMinutes(-10);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(ownerFile);
        }
        catch (FileNotFoundException)
        {
            return young;
        }
        if (lines.Length == 0 || !int.TryParse(lines[0], CultureInfo.InvariantCulture, out var pid))
            return young;
        // A pid is reused: the same pid with another start is another process. ./test.sh writes no start.
        var started = StartedAt(pid);
        return started is not null && (lines.Length < 2 || lines[1] == $"starttime={started}");
    }

    /// <summary>
    /// When a process started, in clock ticks since boot (/proc/PID/stat, field 22), or null when it is gone. Exact and
    /// the same whoever asks, unlike Process.StartTime, which adds it to a boot time computed afresh on every call.
    /// </summary>
    private static string? StartedAt(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may hold spaces; the fields after it start at field 3.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 ? fields[19] : null;
    }

    private static void StopImmediately(string dataDirectory)
    {
        if (File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
            TryRun(Tool("pg_ctl"), ["-D", dataDirectory, "-m", "immediate", "-w", "stop"]);
    }

    private static void RemoveDirectory(string directory)
    {
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
    }

    private static bool RunsAsRoot => Environment.UserName == "root";

    private static string Tool(string name) => Path.Combine(BinDirectory.Value, name);

    /// <summary>Debian's layout (/usr/lib/postgresql/N/bin, the newest N), else the PATH.</summary>
    private static string FindBinDirectory()
    {
        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.EnumerateDirectories("/usr/lib/postgresql")
                .Where(d => File.Exists(Path.Combine(d, "bin", "initdb")) && int.TryParse(Path.GetFileName(d), CultureInfo.InvariantCulture, out _))
                .OrderByDescending(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture))
                .Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault()
            : null;
        if (debian is not null)
            return debian;
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")));
        return onPath ?? throw new InvalidOperationException(
            "PostgreSQL's server programs (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin or on the PATH. " +
            "./test.sh installs them (Debian package postgresql); or set CHATOPSBOT_TEST_POSTGRES to a server's connection string.");
    }

    private static void Run(string file, string[] arguments, bool asPostgres = true)
    {
        var (exit, output) = TryRun(file, arguments, asPostgres);
        if (exit != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} failed ({exit}):\n{output}");
    }

    /// <summary>Runs a PostgreSQL program, as the postgres user when this process is root.</summary>
    private static (int Exit, string Output) TryRun(string file, string[] arguments, bool asPostgres = true)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The postgres user may not enter the test's working directory.
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asPostgres && RunsAsRoot)
        {
            info.FileName = "runuser";
            foreach (var argument in (string[])["-u", "postgres", "--", file])
                info.ArgumentList.Add(argument);
        }
        else
        {
            info.FileName = file;
        }
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        // The server must not inherit the test process's locale or PG* settings.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal) || k.StartsWith("LC_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(key);
        using var process = Process.Start(info)!;
        // pg_ctl start sends the server's output to its log (-l), so these pipes close when pg_ctl exits.
        var stdout = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (stdout) stdout.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        lock (stdout)
            return (process.ExitCode, stdout.ToString());
    }
}
