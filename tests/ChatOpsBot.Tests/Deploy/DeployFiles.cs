using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace ChatOpsBot.Tests.Deploy;

/// <summary>The deployment files of the repository, read the way Docker and Compose read them.</summary>
internal static partial class DeployFiles
{
    public static string Root { get; } = DeploymentTests.RepositoryRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string ComposeText => File.ReadAllText(Path("deploy", "docker-compose.yml"));

    public static string NginxConfigText => File.ReadAllText(Path("deploy", "nginx", "chatopsbot.conf"));

    /// <summary>deploy/.env.example's assignments (commented-out ones are not set).</summary>
    public static Dictionary<string, string> EnvExample() => ReadEnvFile(File.ReadAllText(Path("deploy", ".env.example")));

    /// <summary>Every variable .env.example mentions, set or commented out (<c>#NAME=…</c>).</summary>
    public static HashSet<string> EnvExampleNames() =>
        [.. EnvExampleName().Matches(File.ReadAllText(Path("deploy", ".env.example"))).Select(m => m.Groups["name"].Value)];

    /// <summary>The values a test deployment fills .env with: the example's, then the required ones.</summary>
    public static Dictionary<string, string> TestVariables() => new(EnvExample(), StringComparer.Ordinal)
    {
        ["CHATOPSBOT_HOST"] = new Uri(ReplicaHosts.PublicBaseUrl).Host,
        ["POSTGRES_PASSWORD"] = "compose0password0in0test",
        ["CHATOPSBOT_CI_KEY_SHA256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(ReplicaHosts.UploaderKey))),
    };

    private static Dictionary<string, string> ReadEnvFile(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0, $".env.example: '{line}' is not NAME=value");
            values[line[..equals]] = line[(equals + 1)..];
        }
        return values;
    }

    [GeneratedRegex(@"^#?(?<name>[A-Z][A-Z0-9_]*)=", RegexOptions.Multiline)]
    private static partial Regex EnvExampleName();

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex VariableReference();

    /// <summary>The variables the compose file refers to (<c>${NAME…}</c>).</summary>
    public static HashSet<string> ComposeVariables() => [.. VariableReference().Matches(ComposeText.Replace("$$", "", StringComparison.Ordinal)).Select(m => m.Groups["name"].Value)];
}

/// <summary>
/// A compose file as Compose sees it: YAML with anchors and merge keys (<c>&lt;&lt;: *x</c>) resolved, then every
/// value interpolated from the variables (<c>${NAME}</c>, <c>${NAME:-default}</c>, <c>${NAME:?error}</c>, <c>$$</c>).
/// </summary>
internal sealed class ComposeFile
{
    private readonly Dictionary<object, object?> _root;

    private ComposeFile(Dictionary<object, object?> root) => _root = root;

    public static ComposeFile Parse(string yaml, IReadOnlyDictionary<string, string> variables)
    {
        var deserializer = new DeserializerBuilder().Build();
        var root = deserializer.Deserialize<Dictionary<object, object?>>(new MergingParser(new Parser(new StringReader(yaml))));
        return new ComposeFile((Dictionary<object, object?>)Interpolate(root, variables)!);
    }

    public static ComposeFile Load(IReadOnlyDictionary<string, string>? variables = null) =>
        Parse(DeployFiles.ComposeText, variables ?? DeployFiles.TestVariables());

    public IReadOnlyDictionary<object, object?> Root => _root;

    public IReadOnlyDictionary<object, object?> Services => Map(_root, "services");

    public IReadOnlyDictionary<object, object?> Service(string name) =>
        Services.TryGetValue(name, out var service) ? (Dictionary<object, object?>)service! : throw new Xunit.Sdk.XunitException($"no service '{name}' in docker-compose.yml");

    /// <summary>The services that start without a profile.</summary>
    public IEnumerable<string> DefaultServices => Services.Where(s => !((Dictionary<object, object?>)s.Value!).ContainsKey("profiles")).Select(s => (string)s.Key);

    public Dictionary<string, string> Environment(string service) =>
        Map(Service(service), "environment").ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);

    public static IReadOnlyDictionary<object, object?> Map(IReadOnlyDictionary<object, object?> parent, string key) =>
        parent.TryGetValue(key, out var value) && value is Dictionary<object, object?> map ? map : new Dictionary<object, object?>();

    public static List<string> Strings(IReadOnlyDictionary<object, object?> parent, string key) =>
        parent.TryGetValue(key, out var value) && value is List<object?> list ? [.. list.Select(v => (string)v!)] : [];

    private static object? Interpolate(object? node, IReadOnlyDictionary<string, string> variables) => node switch
    {
        string text => Interpolation.Apply(text, variables),
        Dictionary<object, object?> map => map.ToDictionary(e => e.Key, e => Interpolate(e.Value, variables)),
        List<object?> list => list.Select(v => Interpolate(v, variables)).ToList(),
        _ => node,
    };
}

/// <summary>Compose's variable interpolation, nested defaults included.</summary>
internal static class Interpolation
{
    public static string Apply(string text, IReadOnlyDictionary<string, string> variables)
    {
        var result = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != '$')
            {
                result.Append(text[i++]);
                continue;
            }
            if (i + 1 < text.Length && text[i + 1] == '$')
            {
                result.Append('$');
                i += 2;
                continue;
            }
            if (i + 1 >= text.Length || text[i + 1] != '{')
                throw new FormatException($"'{text}': only ${{NAME}} forms are used in docker-compose.yml");
            var end = Closing(text, i + 2);
            result.Append(Resolve(text[(i + 2)..end], variables));
            i = end + 1;
        }
        return result.ToString();
    }

    private static int Closing(string text, int start)
    {
        var depth = 0;
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == '{')
                depth++;
            else if (text[i] == '}' && depth-- == 0)
                return i;
        }
        throw new FormatException($"'{text}': unclosed ${{");
    }

    private static string Resolve(string expression, IReadOnlyDictionary<string, string> variables)
    {
        var name = new string([.. expression.TakeWhile(c => char.IsAsciiLetterOrDigit(c) || c == '_')]);
        var rest = expression[name.Length..];
        variables.TryGetValue(name, out var value);
        var set = value is not null;
        var nonEmpty = !string.IsNullOrEmpty(value);
        return rest switch
        {
            "" => value ?? "",
            _ when rest.StartsWith(":-", StringComparison.Ordinal) => nonEmpty ? value! : Apply(rest[2..], variables),
            _ when rest.StartsWith('-') => set ? value! : Apply(rest[1..], variables),
            _ when rest.StartsWith(":?", StringComparison.Ordinal) => nonEmpty ? value! : throw new MissingVariableException(name, rest[2..]),
            _ when rest.StartsWith('?') => set ? value! : throw new MissingVariableException(name, rest[1..]),
            _ => throw new FormatException($"${{{expression}}} is not a form Compose reads"),
        };
    }
}

internal sealed class MissingVariableException(string name, string message)
    : Exception(string.Create(CultureInfo.InvariantCulture, $"required variable {name} is missing a value: {message}"))
{
    public string Name { get; } = name;
}

/// <summary>A Dockerfile's instructions (continuation lines joined, comments dropped), by stage.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, int Stage);

internal static class Dockerfile
{
    public static string Text => File.ReadAllText(DeployFiles.Path("Dockerfile"));

    public static List<DockerInstruction> Instructions(string text)
    {
        var instructions = new List<DockerInstruction>();
        var stage = -1;
        var pending = new StringBuilder();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (pending.Length == 0 && (line.TrimStart().StartsWith('#') || line.Trim().Length == 0))
                continue;
            if (line.EndsWith('\\'))
            {
                pending.Append(line[..^1]).Append(' ');
                continue;
            }
            pending.Append(line);
            var full = pending.ToString().Trim();
            pending.Clear();
            var space = full.IndexOf(' ', StringComparison.Ordinal);
            var keyword = full[..space].ToUpperInvariant();
            if (keyword == "FROM")
                stage++;
            instructions.Add(new DockerInstruction(keyword, Regex.Replace(full[(space + 1)..], @"\s+", " ").Trim(), stage));
        }
        return instructions;
    }

    /// <summary>The final stage: what the image is.</summary>
    public static List<DockerInstruction> FinalStage(string text)
    {
        var all = Instructions(text);
        return [.. all.Where(i => i.Stage == all.Max(a => a.Stage))];
    }

    /// <summary>An exec-form argument list, <c>["dotnet", "x.dll"]</c>.</summary>
    public static List<string> ExecForm(string arguments)
    {
        Assert.StartsWith("[", arguments, StringComparison.Ordinal);
        return System.Text.Json.JsonSerializer.Deserialize<List<string>>(arguments)!;
    }
}

/// <summary>The host's binary run as a command (<c>dotnet ChatOpsBot.dll migrate</c>, <c>… healthcheck</c>) until it exits.</summary>
internal static class HostCommand
{
    /// <summary>Runs it with only <paramref name="environment"/> choosing the listen address; its exit code and everything it wrote.</summary>
    public static async Task<(int Exit, string Output)> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string directory)
    {
        var info = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(System.IO.Path.Combine(AppContext.BaseDirectory, "ChatOpsBot.dll"));
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        foreach (var key in info.Environment.Keys.Where(IsAddressSetting).ToList())
            info.Environment.Remove(key);
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static bool IsAddressSetting(string name) =>
        name.StartsWith("Kestrel__", StringComparison.OrdinalIgnoreCase)
        || name.Replace("ASPNETCORE_", "", StringComparison.OrdinalIgnoreCase).Replace("DOTNET_", "", StringComparison.OrdinalIgnoreCase).ToUpperInvariant() is "URLS" or "HTTP_PORTS" or "HTTPS_PORTS";
}
