using System.Reflection;
using System.Reflection.Emit;
using FastTotem.Diagnostics;
using FastTotem.Sim;

namespace FastTotem.Simulation;

/// <summary>The fault points' switch: only the simulator ever installs an injector, and nothing fires without one.</summary>
public class FaultPointSwitchTests
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>Every method of the library and of the simulator whose IL calls <see cref="FaultPoints.Install"/>.</summary>
    private static List<MethodBase> CallersOfInstall()
    {
        MethodInfo install = typeof(FaultPoints).GetMethod(nameof(FaultPoints.Install))!;
        var callers = new List<MethodBase>();
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (Type type in new[] { typeof(FaultPoints).Assembly, typeof(Simulator).Assembly }.Distinct().SelectMany(a => a.GetTypes()))
        {
            foreach (MethodBase method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
            {
                byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
                if (il != null && Calls(il, method.Module, install))
                {
                    callers.Add(method);
                }
            }
        }

        return callers;
    }

    private static bool Calls(byte[] il, Module module, MethodInfo target)
    {
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
            if ((op == OpCodes.Call || op == OpCodes.Callvirt) && Resolves(module, BitConverter.ToInt32(il, pc), target))
            {
                return true;
            }

            pc += operand;
        }

        return false;
    }

    /// <summary>A call token names <paramref name="target"/> (a method def in its own assembly, a member ref elsewhere).</summary>
    private static bool Resolves(Module module, int token, MethodInfo target)
    {
        try
        {
            return module.ResolveMethod(token) is MethodBase m && m.Module == target.Module && m.MetadataToken == target.MetadataToken;
        }
        catch (ArgumentException)
        {
            return false; // a generic member whose context the scan does not supply
        }
    }

    [Fact]
    public void OnlyTheSimulatorInstallsAnInjector()
    {
        List<MethodBase> callers = CallersOfInstall();
        Assert.NotEmpty(callers); // the scan finds the simulator's own calls, so it can find others
        foreach (MethodBase caller in callers)
        {
            Assert.True(caller.DeclaringType?.Namespace == typeof(Simulator).Namespace,
                $"{caller.DeclaringType?.FullName}.{caller.Name} installs a fault injector outside the simulator");
        }
    }

    [Fact]
    public void NothingFiresOnAThreadWithoutAnInjector()
    {
        var always = new AlwaysFire();
        IFaultInjector? previous = FaultPoints.Install(always);
        try
        {
            Assert.True(FaultPoints.Hit(FaultPoint.PackerFull));
            bool elsewhere = true;
            var thread = new Thread(() => elsewhere = FaultPoints.Hit(FaultPoint.PackerFull));
            thread.Start();
            thread.Join();
            Assert.False(elsewhere, "an injector installed on one thread fired on another");
        }
        finally
        {
            FaultPoints.Install(previous);
        }

        Assert.False(FaultPoints.Hit(FaultPoint.PackerFull));
    }

    private sealed class AlwaysFire : IFaultInjector
    {
        public bool Fire(FaultPoint point) => true;
    }
}
