using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace ChatOpsBot;

/// <summary>
/// What every HTTP endpoint shares: the client address from trusted proxies, ProblemDetails for errors, camelCase JSON
/// with string enums, the OpenAPI description.
/// </summary>
internal static class HttpApi
{
    public const string OpenApiDocumentName = "v1";

    public static WebApplicationBuilder AddHttpApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddTrustedProxies();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(json =>
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
        builder.Services.AddOpenApi(OpenApiDocumentName, openApi => openApi
            .AddDocumentTransformer<BearerSecurityScheme>()
            .AddDocumentTransformer<PublicServer>());
        builder.Services.AddSingleton<OpenApiDocumentCache>();
        return builder;
    }

    public static WebApplication UseHttpApi(this WebApplication app)
    {
        // First, so everything after it sees the client's address rather than the proxy's.
        app.UseForwardedHeaders();
        // Requests reach the host through the TLS front at ChatOpsBot:PublicBaseUrl, so whatever ASP.NET Core derives
        // from a request (Secure cookies, antiforgery, sign-in redirect addresses) follows that origin, never the
        // Host or scheme a client or proxy sent. A PublicBaseUrl with a path (https://example.com/bot) is served by
        // a proxy that strips the path: the path is the request's base, so the sign-in callbacks' redirect_uri and
        // the paths of the cookies they need are under it, as the browser sees them.
        var origin = new Uri(app.Services.GetRequiredService<IOptions<ChatOpsBotOptions>>().Value.PublicBaseUrl.TrimEnd('/'));
        var host = new HostString(origin.Authority);
        var pathBase = new PathString(Uri.UnescapeDataString(origin.AbsolutePath).TrimEnd('/') is { Length: > 0 } path ? path : null);
        app.Use((http, next) =>
        {
            http.Request.Scheme = origin.Scheme;
            http.Request.Host = host;
            http.Request.PathBase = pathBase;
            return next(http);
        });
        app.UseExceptionHandler();
        app.UseStatusCodePages(Features.Web.ErrorPages.WriteAsync);
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet($"/openapi/{OpenApiDocumentName}.json", OpenApiDocument).ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> OpenApiDocument(OpenApiDocumentCache document, CancellationToken cancellationToken) =>
        TypedResults.Bytes(await document.GetAsync(cancellationToken), "application/json; charset=utf-8");

    /// <summary>
    /// The one server is ChatOpsBot:PublicBaseUrl. ASP.NET Core would take it from the request's Host, which a client
    /// chooses freely.
    /// </summary>
    private sealed class PublicServer(IOptions<ChatOpsBotOptions> options) : IOpenApiDocumentTransformer
    {
        public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
        {
            document.Servers = [new OpenApiServer { Url = options.Value.PublicBaseUrl.TrimEnd('/') }];
            return Task.CompletedTask;
        }
    }

    private sealed class BearerSecurityScheme : IOpenApiDocumentTransformer
    {
        public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["ApiKey"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key from ChatOpsBot:ApiKeys, sent as 'Authorization: Bearer <key>'.",
            };
            document.Security ??= [];
            document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("ApiKey", document)] = [] });
            return Task.CompletedTask;
        }
    }
}

/// <summary>
/// The OpenAPI document, generated once, at the first request, and then served as bytes: generating it takes tens of
/// milliseconds of CPU, which anonymous clients could otherwise spend at will. Nothing in it depends on the request.
/// </summary>
internal sealed class OpenApiDocumentCache(
    [FromKeyedServices(HttpApi.OpenApiDocumentName)] IOpenApiDocumentProvider provider,
    IOptionsMonitor<OpenApiOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _generating = new(1, 1);
    private byte[]? _json;

    public async ValueTask<byte[]> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _json) is { } json)
            return json;
        await _generating.WaitAsync(cancellationToken);
        try
        {
            if (_json is null)
            {
                // Not cancelled with the request that happens to be first: every later one waits for this result.
                var document = await provider.GetOpenApiDocumentAsync(CancellationToken.None);
                using var stream = new MemoryStream();
                await document.SerializeAsJsonAsync(stream, options.Get(HttpApi.OpenApiDocumentName).OpenApiVersion, CancellationToken.None);
                Volatile.Write(ref _json, stream.ToArray());
            }
            return _json!;
        }
        finally
        {
            _generating.Release();
        }
    }

    public void Dispose() => _generating.Dispose();
}
