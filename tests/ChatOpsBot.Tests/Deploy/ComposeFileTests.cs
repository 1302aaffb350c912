using System.Collections;
using System.Net;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace ChatOpsBot.Tests.Deploy;

/// <summary>
/// No Docker engine runs here: deploy/docker-compose.yml is read as Compose reads it, and what it relies on is checked
/// against the host (the settings it binds), the Dockerfile and the nginx configuration. NginxTests runs the rest.
/// </summary>
public sealed class ComposeFileTests
{
    private static readonly string[] Replicas = ["chatopsbot-1", "chatopsbot-2"];

    /// <summary>ASP.NET Core's own settings the compose file may set.</summary>
    private static readonly string[] HostSettings = ["ASPNETCORE_HTTP_PORTS"];

    [Fact]
    public void ComposeRunsPostgresMigrateTwoReplicasAndNginxWithMinioOnlyInItsProfile()
    {
        var compose = ComposeFile.Load();

        Assert.Equal(["chatopsbot-1", "chatopsbot-2", "migrate", "nginx", "postgres"], compose.DefaultServices.Order(StringComparer.Ordinal));
        Assert.Equal(["minio"], ComposeFile.Strings(compose.Service("minio"), "profiles"));
        Assert.Equal(["minio"], ComposeFile.Strings(compose.Service("minio-bucket"), "profiles"));
        Assert.StartsWith("postgres:", (string)compose.Service("postgres")["image"]!, StringComparison.Ordinal);
        Assert.StartsWith("nginx:", (string)compose.Service("nginx")["image"]!, StringComparison.Ordinal);
        // One image for migrate and the replicas, built from this repository's Dockerfile.
        foreach (var service in Replicas.Append("migrate"))
        {
            Assert.Equal("chatopsbot:local", compose.Service(service)["image"]);
            var build = ComposeFile.Map(compose.Service(service), "build");
            Assert.Equal("Dockerfile", build["dockerfile"]);
            Assert.True(File.Exists(DeployFiles.Path("deploy", (string)build["context"]!, "Dockerfile")));
        }
    }

    [Fact]
    public void OnlyNginxPublishesPortsAndThoseAre80And443()
    {
        var compose = ComposeFile.Load();

        foreach (var (name, service) in compose.Services)
        {
            var ports = ComposeFile.Strings((IReadOnlyDictionary<object, object?>)service!, "ports");
            Assert.True((string)name == "nginx" ? ports.SequenceEqual(["80:80", "443:443"]) : ports.Count == 0, $"{name} publishes {string.Join(", ", ports)}");
        }
        // The replicas listen where nginx's upstream looks for them.
        foreach (var replica in Replicas)
        {
            Assert.Equal("8080", compose.Environment(replica)["ASPNETCORE_HTTP_PORTS"]);
            Assert.Contains($"server {replica}:8080 ", DeployFiles.NginxConfigText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ReplicasShareTheArtifactsVolumeThatNginxMountsReadOnlyWhereItsInternalLocationPoints()
    {
        var compose = ComposeFile.Load();
        var dataDirectory = Dockerfile.FinalStage(Dockerfile.Text).Where(i => i.Keyword == "ENV")
            .Select(i => System.Text.RegularExpressions.Regex.Match(i.Arguments, @"ChatOpsBot__DataDirectory=(\S+)")).Single(m => m.Success).Groups[1].Value;

        foreach (var replica in Replicas)
            Assert.Equal([$"artifacts:{dataDirectory}/artifacts"], ComposeFile.Strings(compose.Service(replica), "volumes"));
        var nginx = ComposeFile.Strings(compose.Service("nginx"), "volumes");
        var alias = System.Text.RegularExpressions.Regex.Match(DeployFiles.NginxConfigText,
            @"location /_chatopsbot/artifacts/ \{\s*internal;\s*alias (?<alias>\S+);").Groups["alias"].Value;
        Assert.Equal("/var/lib/chatopsbot/artifacts/", alias);
        Assert.Contains($"artifacts:{alias.TrimEnd('/')}:ro", nginx);
        Assert.Contains("./nginx/chatopsbot.conf:/etc/nginx/conf.d/default.conf:ro", nginx);
        Assert.True(File.Exists(DeployFiles.Path("deploy", "nginx", "chatopsbot.conf")));
        Assert.Contains("./tls:/etc/nginx/tls:ro", nginx);
        Assert.Contains("./acme:/var/www/acme:ro", nginx);
        Assert.Equal(["postgres:/var/lib/postgresql/data"], ComposeFile.Strings(compose.Service("postgres"), "volumes"));
        Assert.Equal(["artifacts", "minio", "postgres"], ComposeFile.Map(compose.Root, "volumes").Keys.Cast<string>().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ReplicasStartOnlyOnceMigrateCompletedOnAHealthyPostgres()
    {
        var compose = ComposeFile.Load();

        Assert.Equal(["migrate"], ComposeFile.Strings(compose.Service("migrate"), "command"));
        Assert.Equal("no", compose.Service("migrate")["restart"]);
        Assert.Equal("true", ComposeFile.Map(compose.Service("migrate"), "healthcheck")["disable"]);
        Assert.Equal("service_healthy", Condition(compose, "migrate", "postgres"));
        foreach (var replica in Replicas)
        {
            Assert.Equal("service_completed_successfully", Condition(compose, replica, "migrate"));
            Assert.Equal("service_healthy", Condition(compose, replica, "postgres"));
            Assert.Equal("unless-stopped", compose.Service(replica)["restart"]);
            Assert.Equal("false", compose.Environment(replica)["ChatOpsBot__Database__MigrateAtStart"]);
            Assert.Equal(compose.Environment("migrate"), compose.Environment(replica));
            // The image's HEALTHCHECK (dotnet ChatOpsBot.dll healthcheck) is the replicas' health; nginx waits for it.
            Assert.False(compose.Service(replica).ContainsKey("healthcheck"));
            Assert.Equal("service_healthy", Condition(compose, "nginx", replica));
        }
        var pgIsReady = ComposeFile.Strings(ComposeFile.Map(compose.Service("postgres"), "healthcheck"), "test");
        Assert.Equal("CMD-SHELL", pgIsReady[0]);
        Assert.StartsWith("pg_isready ", pgIsReady[1], StringComparison.Ordinal);
    }

    [Fact]
    public void EveryEnvironmentNameOfTheReplicasIsASettingTheHostReads()
    {
        var compose = ComposeFile.Load();
        var unknown = new List<string>();

        foreach (var name in compose.Environment("chatopsbot-1").Keys)
        {
            if (HostSettings.Contains(name, StringComparer.Ordinal))
                continue;
            var key = name.Replace("__", ":", StringComparison.Ordinal);
            if (!HostSettingNames.IsBound(key))
                unknown.Add(name);
        }

        Assert.Empty(unknown);
    }

    [Fact]
    public void TheSettingNamesCheckRefusesNamesTheHostDoesNotRead()
    {
        Assert.True(HostSettingNames.IsBound("ChatOpsBot:Database:ConnectionString"));
        Assert.True(HostSettingNames.IsBound("ChatOpsBot:ApiKeys:0:KeyHash"));
        Assert.True(HostSettingNames.IsBound("ChatOpsBot:Metrics:AllowedNetworks:1"));
        Assert.True(HostSettingNames.IsBound("Slack:SigningSecret"));
        Assert.True(HostSettingNames.IsBound("Teams:MicrosoftAppTenantId"));
        Assert.False(HostSettingNames.IsBound("ChatOpsBot:Database:ConnectionStrings"));
        Assert.False(HostSettingNames.IsBound("ChatOpsBot:ApiKeys:first:Key"));
        Assert.False(HostSettingNames.IsBound("ChatOpsBot:DataPath"));
        Assert.False(HostSettingNames.IsBound("ChatOpsBot:PublicBaseUrl:Host"));
        Assert.False(HostSettingNames.IsBound("Slack:Signing"));
        Assert.False(HostSettingNames.IsBound("ChatOpsBot"));
    }

    [Fact]
    public void TheReplicasSettingsParseAndPassTheHostsValidation()
    {
        var compose = ComposeFile.Load();
        var environment = compose.Environment("chatopsbot-1");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(environment.Select(e => new KeyValuePair<string, string?>(e.Key.Replace("__", ":", StringComparison.Ordinal), e.Value)))
            .Build();

        // The binder converts every value (a time, a number, an enum) or throws naming the key.
        var options = configuration.GetSection(ChatOpsBotOptions.Section).Get<ChatOpsBotOptions>()!;
        configuration.GetSection(Features.Announcements.AnnouncementOptions.Section).Get<Features.Announcements.AnnouncementOptions>();
        configuration.GetSection(Telemetry.MetricsOptions.Section).Get<Telemetry.MetricsOptions>();
        configuration.GetSection(Slack.SlackOptions.Section).Get<Slack.SlackOptions>();
        configuration.GetSection(Teams.TeamsOptions.Section).Get<Teams.TeamsOptions>();
        var validation = new ChatOpsBotOptionsValidator().Validate(null, options);

        Assert.True(validation.Succeeded, validation.FailureMessage);
        Assert.Equal("https://ota.example.test", options.PublicBaseUrl);
        Assert.Equal(DatabaseProvider.Postgres, options.Database.Provider);
        Assert.False(options.Database.MigrateAtStart);
        Assert.Equal(ApiRole.ReleaseManager, options.ApiKeys.Single().Role);
        // An empty secret leaves a platform off, rather than half-configured.
        Assert.Equal("", configuration["Slack:SigningSecret"]);
        Assert.Equal("", configuration["Teams:MicrosoftAppId"]);

        var connection = new NpgsqlConnectionStringBuilder(options.Database.ConnectionString);
        var postgres = compose.Environment("postgres");
        Assert.Equal("postgres", connection.Host);
        Assert.Contains("postgres", compose.DefaultServices);
        Assert.Equal(5432, connection.Port);
        Assert.Equal(postgres["POSTGRES_DB"], connection.Database);
        Assert.Equal(postgres["POSTGRES_USER"], connection.Username);
        Assert.Equal(postgres["POSTGRES_PASSWORD"], connection.Password);
        Assert.Equal("compose0password0in0test", connection.Password);
        Assert.True(connection.MaxPoolSize * Replicas.Length <= 90, "the replicas' pools must fit PostgreSQL's default 100 connections");
    }

    [Fact]
    public void TheReplicasBelieveXForwardedForFromNginxsFixedAddressAlone()
    {
        var compose = ComposeFile.Load();
        var subnet = (string)((Dictionary<object, object?>)((List<object?>)ComposeFile.Map(ComposeFile.Map(ComposeFile.Map(compose.Root, "networks"), "chatopsbot"), "ipam")["config"]!)[0]!)["subnet"]!;
        var nginxAddress = (string)ComposeFile.Map(ComposeFile.Map(compose.Service("nginx"), "networks"), "chatopsbot")["ipv4_address"]!;

        Assert.True(System.Net.IPNetwork.Parse(subnet).Contains(IPAddress.Parse(nginxAddress)), $"{nginxAddress} is not in {subnet}");
        foreach (var replica in Replicas)
        {
            var environment = compose.Environment(replica);
            Assert.Equal(nginxAddress, environment["ChatOpsBot__ForwardedHeaders__KnownProxies__0"]);
            Assert.DoesNotContain(environment.Keys, k => k.StartsWith("ChatOpsBot__ForwardedHeaders__KnownNetworks", StringComparison.Ordinal));
            Assert.Equal(["chatopsbot"], ComposeFile.Strings(compose.Service(replica), "networks"));
        }
        // Another subnet in .env moves both.
        var moved = ComposeFile.Load(new Dictionary<string, string>(DeployFiles.TestVariables()) { ["CHATOPSBOT_PROXY_ADDRESS"] = "10.9.0.10" });
        Assert.Equal("10.9.0.10", moved.Environment("chatopsbot-2")["ChatOpsBot__ForwardedHeaders__KnownProxies__0"]);
        Assert.Equal("10.9.0.10", ComposeFile.Map(ComposeFile.Map(moved.Service("nginx"), "networks"), "chatopsbot")["ipv4_address"]);
    }

    [Fact]
    public void TheOffloadSettingsMatchNginxsInternalLocation()
    {
        var environment = ComposeFile.Load().Environment("chatopsbot-1");

        Assert.Equal("XAccelRedirect", environment["ChatOpsBot__Delivery__Offload"]);
        Assert.Equal("/_chatopsbot/artifacts/", environment["ChatOpsBot__Delivery__InternalLocation"]);
        Assert.Contains("location /_chatopsbot/artifacts/ {", DeployFiles.NginxConfigText, StringComparison.Ordinal);
        Assert.Equal("FileSystem", environment["ChatOpsBot__Artifacts__Provider"]);
    }

    [Fact]
    public void WithTheMinioProfileTheReplicasHandDownloadsToNginxsObjectStoreLocationWhichProxiesToTheirServiceUrl()
    {
        var compose = ComposeFile.Load(new Dictionary<string, string>(DeployFiles.TestVariables())
        {
            ["CHATOPSBOT_ARTIFACTS_PROVIDER"] = "S3",
            ["MINIO_ROOT_USER"] = "chatopsbot",
            ["MINIO_ROOT_PASSWORD"] = "minio0password0in0test",
        });
        foreach (var replica in Replicas)
        {
            var environment = compose.Environment(replica);
            var artifacts = new Features.Builds.ArtifactOptions
            {
                Provider = Enum.Parse<Features.Builds.ArtifactProvider>(environment["ChatOpsBot__Artifacts__Provider"]),
                S3 = new Features.Builds.S3ArtifactOptions
                {
                    ServiceUrl = environment["ChatOpsBot__Artifacts__S3__ServiceUrl"],
                    Bucket = environment["ChatOpsBot__Artifacts__S3__Bucket"],
                    Region = environment["ChatOpsBot__Artifacts__S3__Region"],
                    ForcePathStyle = bool.Parse(environment["ChatOpsBot__Artifacts__S3__ForcePathStyle"]),
                    AccessKeyId = environment["ChatOpsBot__Artifacts__S3__AccessKeyId"],
                    SecretAccessKey = environment["ChatOpsBot__Artifacts__S3__SecretAccessKey"],
                },
            };
            var delivery = new DeliveryOptions
            {
                Offload = Enum.Parse<DeliveryOffload>(environment["ChatOpsBot__Delivery__Offload"]),
                InternalLocation = environment["ChatOpsBot__Delivery__InternalLocation"],
                StoreLocation = environment["ChatOpsBot__Delivery__StoreLocation"],
            };

            Assert.Empty(Features.Builds.ArtifactOptions.Validate(artifacts).Concat(DeliveryOptions.Validate(delivery, artifacts)));
            Assert.Equal(DeliveryOffload.XAccelRedirect, delivery.Offload);
            Assert.Equal("/_chatopsbot/s3/", delivery.StoreLocation);
            var origin = artifacts.S3.SignedOrigin();
            Assert.Equal(new Uri("http://minio:9000"), origin);
            var text = DeployFiles.NginxConfigText;
            Assert.Contains($"location ~ \"^{delivery.StoreLocation}(?:all|", text, StringComparison.Ordinal);
            Assert.Contains($"proxy_pass {origin.GetLeftPart(UriPartial.Authority)}$chatopsbot_object$is_args$args;", text, StringComparison.Ordinal);
            Assert.Contains($"proxy_set_header Host {origin.Authority};", text, StringComparison.Ordinal);
        }
        Assert.Equal(["minio"], ComposeFile.Strings(compose.Service("minio"), "profiles"));
        Assert.Equal(["chatopsbot"], ComposeFile.Strings(compose.Service("minio"), "networks"));
    }

    [Theory]
    [InlineData("CHATOPSBOT_HOST")]
    [InlineData("POSTGRES_PASSWORD")]
    [InlineData("CHATOPSBOT_CI_KEY_SHA256")]
    public void ComposeRefusesToStartWithoutARequiredVariable(string variable)
    {
        var variables = DeployFiles.TestVariables();
        variables[variable] = "";

        var missing = Assert.Throws<MissingVariableException>(() => ComposeFile.Load(variables));

        Assert.Equal(variable, missing.Name);
        Assert.Contains("deploy/.env", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnvExampleNamesEveryVariableTheComposeFileUsesAndItsRequiredOnesAreLeftToFillIn()
    {
        var example = DeployFiles.EnvExample();

        Assert.Empty(DeployFiles.ComposeVariables().Except(DeployFiles.EnvExampleNames()));
        Assert.Throws<MissingVariableException>(() => ComposeFile.Load(example));
        Assert.Equal("", example["POSTGRES_PASSWORD"]);
        Assert.Equal("", example["CHATOPSBOT_CI_KEY_SHA256"]);
        Assert.Equal("", example["SLACK_SIGNING_SECRET"]);
    }

    [Fact]
    public void InterpolationReadsComposesForms()
    {
        var variables = new Dictionary<string, string> { ["A"] = "a", ["EMPTY"] = "" };

        Assert.Equal("a-a", Interpolation.Apply("${A}-${A:-x}", variables));
        Assert.Equal("x|", Interpolation.Apply("${EMPTY:-x}|${EMPTY-x}", variables));
        Assert.Equal("y", Interpolation.Apply("${UNSET:-${EMPTY:-y}}", variables));
        Assert.Equal("$HOME", Interpolation.Apply("$$HOME", variables));
        Assert.Throws<MissingVariableException>(() => Interpolation.Apply("${EMPTY:?needed}", variables));
    }

    private static string Condition(ComposeFile compose, string service, string dependency) =>
        (string)ComposeFile.Map(ComposeFile.Map(compose.Service(service), "depends_on"), dependency)["condition"]!;
}

/// <summary>
/// The configuration keys the host binds: every options class with a <c>Section</c> constant in the host's
/// assemblies, walked by reflection (properties with setters, list indexes, dictionary keys).
/// </summary>
internal static class HostSettingNames
{
    private static readonly (string Section, Type Type)[] Sections =
    [
        .. new[] { typeof(Program).Assembly, typeof(Slack.SlackOptions).Assembly, typeof(Teams.TeamsOptions).Assembly }
            .SelectMany(a => a.GetTypes())
            .Select(t => (Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static), Type: t))
            .Where(s => s.Field is { IsLiteral: true } && s.Field.FieldType == typeof(string))
            .Select(s => ((string)s.Field!.GetRawConstantValue()!, s.Type)),
    ];

    public static bool IsBound(string key)
    {
        // The most specific section first: ChatOpsBot:Metrics is its own options class, not a property of ChatOpsBot's.
        foreach (var (section, type) in Sections.OrderByDescending(s => s.Section.Length))
        {
            if (key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase))
                return Walk(type, key[(section.Length + 1)..].Split(':'));
        }
        return false;
    }

    private static bool Walk(Type type, ReadOnlySpan<string> path)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsLeaf(type))
            return path.IsEmpty;
        if (path.IsEmpty)
            return false;
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var generic
            && (generic == typeof(List<>) || generic == typeof(IList<>) || generic == typeof(IReadOnlyList<>)))
            return int.TryParse(path[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)
                && Walk(type.GetGenericArguments()[0], path[1..]);
        if (type.IsArray)
            return int.TryParse(path[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)
                && Walk(type.GetElementType()!, path[1..]);
        if (type.IsGenericType && typeof(IDictionary).IsAssignableFrom(type))
            return Walk(type.GetGenericArguments()[1], path[1..]);
        var property = type.GetProperty(path[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        // A setter binds any value; without one the binder can still fill an object or a collection the getter returns.
        return property is not null
            && (property.GetSetMethod() is not null || !IsLeaf(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType))
            && Walk(property.PropertyType, path[1..]);
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(Uri) || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Guid);
}
