namespace FastTotem;

/// <summary>
/// Marks a public type of namespace <c>FastTotem</c> that every layer may use (a result code, a reason, an exception):
/// it belongs to the bottom layer and must itself use nothing above it (docs/architecture.md; the layering test
/// checks both). Public types without it are the Hosting API.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Enum, Inherited = false)]
internal sealed class BaseLayerAttribute : Attribute
{
}
