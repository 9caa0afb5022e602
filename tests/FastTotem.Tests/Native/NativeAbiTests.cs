using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using FastTotem.Native;

namespace FastTotem.Tests.Native;

/// <summary>
/// The C ABI's promises that the C test (native/tests/test_api.c) cannot make about itself: the header's codes are
/// the library's, node and group handles do not convert into each other, and no export lets an exception escape.
/// </summary>
public partial class NativeAbiTests
{
    private static readonly string Header = Path.Combine(RepoRoot(), "native", "include", "fasttotem.h");

    /// <summary>The one send result maps to C codes one to one: each value its own code, none of them FT_ERR_INTERNAL.</summary>
    [Fact]
    public void EverySendResultHasItsOwnCCode()
    {
        FtError[] codes = Enum.GetValues<SendResult>().Select(FtSendResult.ToFtError).ToArray();
        Assert.Equal(4, codes.Length);
        Assert.Equal(codes.Length, codes.Distinct().Count());
        Assert.DoesNotContain(FtError.Internal, codes);
        Assert.Equal(FtError.Ok, FtSendResult.ToFtError(SendResult.Ok));
        Assert.Equal(FtError.TryAgain, FtSendResult.ToFtError(SendResult.TryAgain));
        Assert.Equal(FtError.Internal, FtSendResult.ToFtError((SendResult)99));
    }

    /// <summary>Every FT_OK/FT_ERR_* in the header is an <see cref="FtError"/> member of the same value, and the reverse.</summary>
    [Fact]
    public void TheHeadersErrorCodesAreTheLibrarys()
    {
        var header = new SortedDictionary<string, int>();
        foreach (Match m in ErrorDefine().Matches(File.ReadAllText(Header)))
        {
            header.Add(m.Groups[1].Value, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        }

        var library = new SortedDictionary<string, int>();
        foreach (FtError code in Enum.GetValues<FtError>())
        {
            library.Add(code == FtError.Ok ? "FT_OK" : "FT_ERR_" + UpperSnake(code.ToString()), (int)code);
        }

        Assert.True(header.Count >= 13, $"only {header.Count} codes found in {Header}");
        Assert.Equal(library, header);
        Assert.Equal(Enum.GetValues<FtError>().Length, Enum.GetValues<FtError>().Select(FtErrorText.Describe).Distinct().Count());
        // Every text, the one for unknown codes included, fits the FT_STRERROR_MAX the header promises.
        Assert.Equal(FtErrorText.LengthMax + 1, int.Parse(System.Text.RegularExpressions.Regex.Match(File.ReadAllText(Header), @"#define FT_STRERROR_MAX (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.All(Enum.GetValues<FtError>().Select(FtErrorText.Describe).Append(FtErrorText.Describe((FtError)12345)),
            text => Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(text), 1, FtErrorText.LengthMax));
        Assert.Equal(Exports.ApiVersionNumber, int.Parse(ApiVersionDefine().Match(File.ReadAllText(Header)).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// A group handle where a node handle goes, or the reverse, is a compile error (v2's intptr_t handles converted
    /// silently); the same program with the right types compiles, so the failure is about the types.
    /// </summary>
    [Theory]
    [InlineData("ft_group g = FT_GROUP_NONE; ft_node n = g; return (int)n.id;")]
    [InlineData("ft_node n = FT_NODE_NONE; ft_group g = n; return (int)g.id;")]
    [InlineData("ft_group g = FT_GROUP_NONE; return ft_node_start(g);")]
    [InlineData("ft_node n = FT_NODE_NONE; return ft_group_leave(n);")]
    [InlineData("return ft_node_start(12345);")]
    public void HandleTypesDoNotConvertIntoEachOther(string body)
    {
        (int ok, string okErrors) = Compile("ft_node n = FT_NODE_NONE; ft_group g = FT_GROUP_NONE; return ft_node_start(n) + ft_group_leave(g);");
        Assert.True(ok == 0, "the well-typed program does not compile: " + okErrors);
        (int rc, string errors) = Compile(body);
        Assert.True(rc != 0, $"'{body}' compiled");
        Assert.Matches("incompatible type|invalid initializer", errors);
    }

    /// <summary>
    /// Every [UnmanagedCallersOnly] export's body is one try with a catch of <see cref="Exception"/> (or everything)
    /// around all of it: an exception escaping into C would abort the host. ft_node_loop_info and ft_group_counters
    /// had none.
    /// </summary>
    [Fact]
    public void EveryExportCatchesEverything()
    {
        MethodInfo[] exports = typeof(Exports).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.GetCustomAttribute<UnmanagedCallersOnlyAttribute>() != null).ToArray();
        Assert.True(exports.Length >= 20, $"only {exports.Length} exports found");
        var uncovered = new List<string>();
        foreach (MethodInfo m in exports)
        {
            MethodBody body = m.GetMethodBody()!;
            bool covered = body.ExceptionHandlingClauses.Any(c =>
                c.Flags == ExceptionHandlingClauseOptions.Clause
                && (c.CatchType == typeof(Exception) || c.CatchType == typeof(object))
                && c.TryOffset == 0
                && c.HandlerOffset + c.HandlerLength >= body.GetILAsByteArray()!.Length - 4); // then at most a load and ret
            if (!covered)
            {
                uncovered.Add($"{m.Name} (IL {body.GetILAsByteArray()!.Length} bytes; clauses {string.Join(", ", body.ExceptionHandlingClauses.Select(c => $"{c.Flags} {c.CatchType?.Name} try {c.TryOffset}+{c.TryLength} handler {c.HandlerOffset}+{c.HandlerLength}"))})");
            }
        }

        Assert.Empty(uncovered);
    }

    private static (int ExitCode, string Errors) Compile(string body)
    {
        string file = Path.Combine(Path.GetTempPath(), $"fasttotem-handles-{Environment.ProcessId}-{Guid.NewGuid():N}.c");
        File.WriteAllText(file, $"#include \"fasttotem.h\"\nint main(void) {{ {body} }}\n", Encoding.ASCII);
        try
        {
            var start = new ProcessStartInfo("gcc", ["-std=c11", "-fsyntax-only", "-Wall", "-I", Path.GetDirectoryName(Header)!, file])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            using Process gcc = Process.Start(start) ?? throw new InvalidOperationException("gcc did not start (install gcc)");
            string errors = gcc.StandardError.ReadToEnd();
            gcc.WaitForExit();
            return (gcc.ExitCode, errors);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string UpperSnake(string pascal) => PascalHump().Replace(pascal, "$1_$2").ToUpperInvariant();

    private static string RepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastTotem.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FastTotem.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^#define (FT_OK|FT_ERR_[A-Z_]+)\s+(-?\d+)", RegexOptions.Multiline)]
    private static partial Regex ErrorDefine();

    [GeneratedRegex(@"^#define FT_API_VERSION (\d+)", RegexOptions.Multiline)]
    private static partial Regex ApiVersionDefine();

    [GeneratedRegex("([a-z])([A-Z])")]
    private static partial Regex PascalHump();
}
