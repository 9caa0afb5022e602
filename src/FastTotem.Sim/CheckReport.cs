using System.Text;

namespace FastTotem.Sim;

/// <summary>The checker's verdict for each guarantee, and the violations found (a bounded number per guarantee).</summary>
internal sealed class CheckReport
{
    public const int ViolationsPerGuaranteeMax = 5;

    private readonly int[] _counts = new int[GuaranteeCount];
    private readonly string?[] _notChecked = new string?[GuaranteeCount];
    private readonly List<Violation> _violations = [];

    public const int GuaranteeCount = (int)Guarantee.SenderMembership + 1;

    public IReadOnlyList<Violation> Violations => _violations;

    public bool Passed => _violations.Count == 0;

    /// <summary>How many violations of a guarantee were found (can exceed the ones kept).</summary>
    public int Count(Guarantee g) => _counts[(int)g];

    public bool Has(Guarantee g) => _counts[(int)g] > 0;

    /// <summary>Why a guarantee was not checked (for example a run too short for the liveness phase), or null.</summary>
    public string? NotCheckedReason(Guarantee g) => _notChecked[(int)g];

    internal void MarkNotChecked(Guarantee g, string reason) => _notChecked[(int)g] = reason;

    /// <summary>Counts a violation; returns false when enough of this kind are already kept (the caller may stop).</summary>
    internal bool Add(Violation v)
    {
        int count = ++_counts[(int)v.Guarantee];
        if (count <= ViolationsPerGuaranteeMax)
        {
            _violations.Add(v);
            return true;
        }

        return false;
    }

    public string Verdict(Guarantee g) =>
        _counts[(int)g] > 0 ? $"FAIL ({_counts[(int)g]})" : _notChecked[(int)g] is { } why ? $"not checked ({why})" : "pass";

    public string Summary()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < GuaranteeCount; i++)
        {
            var g = (Guarantee)i;
            sb.Append("  ").Append($"{g,-17}").Append(' ').AppendLine(Verdict(g));
        }

        return sb.ToString();
    }
}
