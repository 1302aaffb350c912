using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace ChatOpsBot.Data;

/// <summary>
/// A compiled query for each model it runs on. EF Core binds a compiled query to the first model that runs it and
/// refuses any other, and each provider has a model of its own: one process may hold hosts on both (the tests do).
/// </summary>
internal sealed class CompiledPerModel<TQuery> where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> _queries = [];
    private readonly ConditionalWeakTable<IModel, TQuery>.CreateValueCallback _compile;

    public CompiledPerModel(Func<TQuery> compile) => _compile = _ => compile();

    public TQuery For(DbContext db) => _queries.TryGetValue(db.Model, out var query) ? query : _queries.GetValue(db.Model, _compile);
}
