using System.Reflection;
using System.Reflection.Emit;

namespace FastTotem.Tests.Architecture;

/// <summary>
/// Finds references that point up the library's layers (docs/architecture.md): every type of layer L may use types
/// of its own layer and the layers below, never above. A type's layer comes from its namespace. What a type uses is
/// read from its base type and interfaces, its fields, its properties and events, its method and constructor
/// signatures, and every type, method and field token in its method bodies' IL (resolved through the module), so a
/// local variable or a static call that no signature shows is found too.
/// </summary>
internal static class LayerChecker
{
    /// <summary>
    /// The layers, lowest first. The helpers every layer uses (Invariant and InvariantException in the root
    /// namespace, Diagnostics' fault points) count as the bottom layer: Invariant checks Wire's encode results.
    /// </summary>
    public static readonly string[] Layers = ["Wire", "Protocol", "Config", "Transport", "Hosting"];

    private static readonly string[] BottomHelpersInRoot = ["Invariant", "InvariantException"];

    private static readonly Dictionary<short, OperandType> OperandTypes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>
    /// The layer index of a namespace, or -1 for a namespace outside the layers (System, the tests, compiler helpers).
    /// Sub-namespaces belong to their layer (FastTotem.Protocol.Srp is Protocol). The root namespace FastTotem holds
    /// the shared helpers (bottom), the public vocabulary every layer may use (marked [BaseLayer]: bottom) and
    /// otherwise the user-facing API (Hosting).
    /// </summary>
    public static int LayerOf(Type type)
    {
        string ns = type.Namespace ?? "";
        if (ns == "FastTotem")
        {
            Type outer = type;
            while (outer.DeclaringType != null)
            {
                outer = outer.DeclaringType;
            }

            // A public type marked [BaseLayer] (a result code, a reason, an exception every layer may use) is bottom.
            bool baseVocabulary = outer.GetCustomAttributesData().Any(a => a.AttributeType.Name == "BaseLayerAttribute");
            return BottomHelpersInRoot.Contains(outer.Name) || baseVocabulary ? 0 : Array.IndexOf(Layers, "Hosting");
        }

        if (ns == "FastTotem.Diagnostics" || ns.StartsWith("FastTotem.Diagnostics.", StringComparison.Ordinal))
        {
            return 0;
        }

        for (int i = 0; i < Layers.Length; i++)
        {
            string prefix = "FastTotem." + Layers[i];
            if (ns == prefix || ns.StartsWith(prefix + ".", StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Every upward reference of the types of <paramref name="assembly"/> whose namespace starts with
    /// <paramref name="namespacePrefix"/>, as "Type (layer) -> Used (layer) via where", sorted.
    /// </summary>
    public static List<string> Violations(Assembly assembly, string namespacePrefix = "FastTotem")
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Type type in assembly.GetTypes())
        {
            if (type.Namespace == null || !type.Namespace.StartsWith(namespacePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            int layer = LayerOf(type);
            if (layer < 0)
            {
                continue;
            }

            foreach ((Type used, string where) in Uses(type))
            {
                foreach (Type t in Flatten(used))
                {
                    int usedLayer = LayerOf(t);
                    if (usedLayer > layer)
                    {
                        found.Add($"{type.FullName} ({Layers[layer]}) -> {t.FullName} ({Layers[usedLayer]}) via {where}");
                    }
                }
            }
        }

        return found.ToList();
    }

    /// <summary>A type and what it is made of: generic arguments, element types of arrays, pointers and refs.</summary>
    private static IEnumerable<Type> Flatten(Type t)
    {
        if (t.HasElementType)
        {
            foreach (Type e in Flatten(t.GetElementType()!))
            {
                yield return e;
            }

            yield break;
        }

        if (t.IsGenericParameter)
        {
            yield break;
        }

        yield return t;
        if (t.IsConstructedGenericType)
        {
            foreach (Type a in t.GetGenericArguments())
            {
                foreach (Type e in Flatten(a))
                {
                    yield return e;
                }
            }
        }
    }

    private static IEnumerable<(Type Used, string Where)> Uses(Type type)
    {
        if (type.BaseType != null)
        {
            yield return (type.BaseType, "base type");
        }

        foreach (Type i in type.GetInterfaces())
        {
            yield return (i, "interface");
        }

        foreach (FieldInfo f in type.GetFields(All))
        {
            yield return (f.FieldType, $"field {f.Name}");
        }

        foreach (PropertyInfo p in type.GetProperties(All))
        {
            yield return (p.PropertyType, $"property {p.Name}");
        }

        foreach (EventInfo e in type.GetEvents(All))
        {
            if (e.EventHandlerType != null)
            {
                yield return (e.EventHandlerType, $"event {e.Name}");
            }
        }

        foreach (MethodBase m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (m is MethodInfo mi)
            {
                yield return (mi.ReturnType, $"{m.Name} return");
            }

            foreach (ParameterInfo p in m.GetParameters())
            {
                yield return (p.ParameterType, $"{m.Name} parameter {p.Name}");
            }

            MethodBody? body = m.GetMethodBody();
            if (body == null)
            {
                continue;
            }

            foreach (LocalVariableInfo local in body.LocalVariables)
            {
                yield return (local.LocalType, $"{m.Name} local");
            }

            foreach ((Type used, string what) in IlUses(m, body.GetILAsByteArray() ?? []))
            {
                yield return (used, $"{m.Name} IL {what}");
            }
        }
    }

    /// <summary>The types named by the type, method and field tokens of one method body.</summary>
    private static IEnumerable<(Type Used, string What)> IlUses(MethodBase method, byte[] il)
    {
        Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            OperandType operand = OperandTypes[value];
            switch (operand)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    int token = BitConverter.ToInt32(il, i);
                    MemberInfo member = method.Module.ResolveMember(token, typeArgs, methodArgs)!;
                    switch (member)
                    {
                        case Type t:
                            yield return (t, $"type {t.Name}");
                            break;
                        case FieldInfo f:
                            yield return (f.DeclaringType!, $"field {f.Name}");
                            yield return (f.FieldType, $"field {f.Name}");
                            break;
                        case MethodBase mb:
                            yield return (mb.DeclaringType!, $"call {mb.Name}");
                            if (mb is MethodInfo called)
                            {
                                yield return (called.ReturnType, $"call {mb.Name}");
                                foreach (Type a in called.IsGenericMethod ? called.GetGenericArguments() : [])
                                {
                                    yield return (a, $"call {mb.Name}");
                                }
                            }

                            break;
                    }

                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    int count = BitConverter.ToInt32(il, i);
                    i += 4 + 4 * count;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                default:
                    i += 4;
                    break;
            }
        }
    }
}
