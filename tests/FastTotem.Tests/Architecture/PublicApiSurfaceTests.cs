using System.Reflection;
using System.Text;

namespace FastTotem.Tests.Architecture;

/// <summary>
/// The library's public surface is exactly the approved list in tests/FastTotem.Tests/PublicApi.txt: a new public type
/// or member (or one made internal) fails here until the list is updated on purpose. It also proves that everything
/// outside the user-facing API is internal, and that the user-facing types live in the one namespace FastTotem.
/// </summary>
public class PublicApiSurfaceTests
{
    private static readonly Assembly Library = typeof(TotemNode).Assembly;

    [Fact]
    public void ThePublicSurfaceIsTheApprovedList()
    {
        string approvedPath = Path.Combine(SourceDirectory(), "PublicApi.txt");
        string[] actual = Describe(Library);
        string[] approved = File.Exists(approvedPath) ? File.ReadAllLines(approvedPath) : [];
        string[] added = actual.Except(approved).ToArray();
        string[] removed = approved.Except(actual).ToArray();
        if (added.Length > 0 || removed.Length > 0)
        {
            // The surface as it is now, for review: copy it over PublicApi.txt once the change is meant.
            File.WriteAllLines(Path.Combine(SourceDirectory(), "PublicApi.received.txt"), actual);
        }

        Assert.True(added.Length == 0 && removed.Length == 0,
            $"public surface differs from PublicApi.txt (PublicApi.received.txt written)\nnew:\n  {string.Join("\n  ", added)}\ngone:\n  {string.Join("\n  ", removed)}");
    }

    [Fact]
    public void EveryPublicTypeIsInNamespaceFastTotem()
    {
        string[] elsewhere = Library.GetExportedTypes().Where(t => t.Namespace != "FastTotem").Select(t => t.FullName!).ToArray();
        Assert.Empty(elsewhere);
    }

    [Fact]
    public void TheDescriptionSeesANewPublicMember()
    {
        // The check above must be able to fail: this test assembly's own public type shows up, member by member.
        string[] own = Describe(typeof(PublicApiSurfaceTests).Assembly);
        Assert.Contains("type FastTotem.Tests.Architecture.PublicApiSurfaceTests", own);
        Assert.Contains("  method Void ThePublicSurfaceIsTheApprovedList()", own);
        Assert.DoesNotContain(own, line => line.Contains("SourceDirectory", StringComparison.Ordinal)); // private
    }

    /// <summary>Every exported type and its public and protected members, one line each, in a stable order.</summary>
    internal static string[] Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (Type type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            lines.Add($"type {type.FullName}");
            if (type.IsEnum)
            {
                foreach (string name in Enum.GetNames(type))
                {
                    lines.Add($"  value {name} = {Convert.ToInt64(Enum.Parse(type, name), System.Globalization.CultureInfo.InvariantCulture)}");
                }

                continue;
            }

            var members = new List<string>();
            const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (MemberInfo m in type.GetMembers(Declared))
            {
                if (!IsVisible(m) || m is Type)
                {
                    continue;
                }

                members.Add($"  {m.MemberType.ToString().ToLowerInvariant()} {m}");
            }

            members.Sort(StringComparer.Ordinal);
            lines.AddRange(members);
        }

        return lines.ToArray();
    }

    private static bool IsVisible(MemberInfo m) => m switch
    {
        MethodBase b => b.IsPublic || b.IsFamily || b.IsFamilyOrAssembly,
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        PropertyInfo p => (p.GetMethod != null && IsVisible(p.GetMethod)) || (p.SetMethod != null && IsVisible(p.SetMethod)),
        EventInfo e => e.AddMethod != null && IsVisible(e.AddMethod),
        _ => false,
    };

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetDirectoryName(Path.GetDirectoryName(path))!;
}
