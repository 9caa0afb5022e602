using System.Reflection;
using System.Reflection.Emit;
using FastTotem.Hosting;
using FastTotem.Transport;

namespace FastTotem.Tests.Hosting;

/// <summary>
/// A code review in a test: the IL of every host-path method (submit, take, release, dispatch, wake), and of every
/// FastTotem method they call, must not touch a lock or block (Monitor, Lock, SpinLock, Mutex, SemaphoreSlim,
/// ReaderWriterLockSlim, events, Thread.Sleep) and must not allocate (newarr, box, newobj of a class) outside cold
/// Throw* helpers. Lock-freedom then rests on Interlocked and Volatile, which the review allows.
/// </summary>
public class HostPathReviewTests
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private static readonly HashSet<string> BlockingTypes = new()
    {
        "System.Threading.Monitor", "System.Threading.Lock", "System.Threading.SpinLock", "System.Threading.Mutex",
        "System.Threading.SemaphoreSlim", "System.Threading.Semaphore", "System.Threading.ReaderWriterLockSlim",
        "System.Threading.ManualResetEventSlim", "System.Threading.ManualResetEvent", "System.Threading.AutoResetEvent",
        "System.Threading.WaitHandle", "System.Threading.Tasks.Task",
    };

    private static MethodBase Method(Type type, string name, params Type[] parameters) =>
        (MethodBase?)type.GetMethod(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static, parameters)
        ?? throw new InvalidOperationException($"{type.Name}.{name} not found");

    public static IEnumerable<object[]> HostPaths()
    {
        yield return new object[] { Method(typeof(ProcessGroup), nameof(ProcessGroup.TryMulticast), typeof(ReadOnlySpan<byte>)) };
        yield return new object[] { Method(typeof(ProcessGroup), nameof(ProcessGroup.TryTakeDelivery), typeof(DeliveryLease).MakeByRefType()) };
        yield return new object[] { Method(typeof(ProcessGroup), nameof(ProcessGroup.ReleaseDelivery), typeof(long)) };
        yield return new object[] { Method(typeof(ProcessGroup), nameof(ProcessGroup.TryReceive), typeof(DeliverHandler)) };
        yield return new object[] { Method(typeof(DeliveryLease), nameof(DeliveryLease.Release)) };
        yield return new object[] { Method(typeof(ProcessGroup), nameof(ProcessGroup.WaitForDelivery), typeof(long)) };
        yield return new object[] { typeof(DeliveryLease).GetProperty(nameof(DeliveryLease.Data))!.GetMethod! };
        yield return new object[] { Method(typeof(HostSubmitQueue), nameof(HostSubmitQueue.TryEnqueue), typeof(ReadOnlySpan<byte>)) };
        yield return new object[] { Method(typeof(DeliveryQueue), nameof(DeliveryQueue.TryWrite), typeof(uint), typeof(uint), typeof(ReadOnlySpan<byte>)) };
        yield return new object[] { Method(typeof(RingDriver), nameof(RingDriver.Wake)) };
        yield return new object[] { typeof(TotemNode).GetProperty(nameof(TotemNode.LoopThreadInfo))!.GetMethod! };
    }

    [Theory]
    [MemberData(nameof(HostPaths))]
    public void HostPathTakesNoLockAndAllocatesNothing(MethodBase method)
    {
        var findings = new List<string>();
        Review(method, findings, new HashSet<MethodBase>(), depth: 0);
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [Fact]
    public void TheReviewCatchesALockAndAnAllocation()
    {
        var findings = new List<string>();
        Review(Method(typeof(HostPathReviewTests), nameof(BadHostPath), typeof(int)), findings, new HashSet<MethodBase>(), 0);
        Assert.Contains(findings, f => f.Contains("System.Threading.Monitor", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Contains("newarr", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Contains("box", StringComparison.Ordinal));
    }

    private static readonly object Gate = new();

    private static object BadHostPath(int n)
    {
        lock (Gate)
        {
            return new byte[n].Length;
        }
    }

    private static void Review(MethodBase method, List<string> findings, HashSet<MethodBase> seen, int depth)
    {
        if (!seen.Add(method) || method.Name.StartsWith("Throw", StringComparison.Ordinal))
        {
            return;
        }

        byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
        if (il == null)
        {
            return;
        }

        Module module = method.Module;
        Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        string where = $"{method.DeclaringType?.Name}.{method.Name}";
        int pc = 0;
        while (pc < il.Length)
        {
            short value = il[pc] == 0xFE ? (short)(0xFE00 | il[pc + 1]) : il[pc];
            OpCode op = OpCodesByValue[value];
            pc += op.Size;
            int operand = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, pc),
                _ => 4,
            };
            int token = operand == 4 ? BitConverter.ToInt32(il, pc) : 0;
            if (op == OpCodes.Newarr || op == OpCodes.Box)
            {
                findings.Add($"{where}: {op.Name} at IL_{pc - op.Size:X4}");
            }
            else if (op == OpCodes.Call || op == OpCodes.Callvirt || op == OpCodes.Newobj)
            {
                MethodBase? callee = null;
                try
                {
                    callee = module.ResolveMethod(token, typeArgs, methodArgs);
                }
                catch (ArgumentException)
                {
                    findings.Add($"{where}: unresolvable call at IL_{pc - op.Size:X4}");
                }

                if (callee != null)
                {
                    string type = callee.DeclaringType?.FullName ?? "";
                    if (BlockingTypes.Contains(type) || (type == "System.Threading.Thread" && callee.Name is "Sleep" or "Join"))
                    {
                        findings.Add($"{where}: calls {type}.{callee.Name}");
                    }

                    if (op == OpCodes.Newobj && callee.DeclaringType is { IsValueType: false } allocated
                        && !typeof(Exception).IsAssignableFrom(allocated))
                    {
                        findings.Add($"{where}: newobj {allocated.FullName}");
                    }

                    if (callee.Module.Assembly == typeof(TotemNode).Assembly && depth < 6)
                    {
                        Review(callee, findings, seen, depth + 1);
                    }
                }
            }

            pc += operand;
        }
    }
}
