using System.Collections;

namespace FastTotem.Capture;

/// <summary>
/// An ordered set of named values describing one decoded datagram or one layer of it. The decoder
/// fills it once; <see cref="DecodeTextFormatter"/> and <see cref="DecodeJsonFormatter"/> render it.
/// Values are null, string, bool, integers, double, <see cref="Wire.MembRingId"/>, nested
/// <see cref="DecodedFields"/>, or lists of those.
/// </summary>
internal sealed class DecodedFields : IEnumerable<KeyValuePair<string, object?>>
{
    private readonly List<KeyValuePair<string, object?>> _items = new();

    public int Count => _items.Count;

    /// <summary>The value of <paramref name="key"/>, or null when absent.</summary>
    public object? this[string key]
    {
        get
        {
            foreach (KeyValuePair<string, object?> item in _items)
            {
                if (item.Key == key)
                {
                    return item.Value;
                }
            }

            return null;
        }
    }

    public bool Contains(string key)
    {
        foreach (KeyValuePair<string, object?> item in _items)
        {
            if (item.Key == key)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Appends a value, or replaces it in place when the key is already present.</summary>
    public DecodedFields Set(string key, object? value)
    {
        for (int i = 0; i < _items.Count; i++)
        {
            if (_items[i].Key == key)
            {
                _items[i] = new(key, value);
                return this;
            }
        }

        _items.Add(new(key, value));
        return this;
    }

    public void Remove(string key)
    {
        for (int i = 0; i < _items.Count; i++)
        {
            if (_items[i].Key == key)
            {
                _items.RemoveAt(i);
                return;
            }
        }
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
