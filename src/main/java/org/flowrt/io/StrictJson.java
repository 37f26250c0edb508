package org.flowrt.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a record from JSON written by Gson, strictly: every component present (unless given a
 * default), no unknown fields, numbers that fit their type exactly, enums by their exact names.
 * The record's own constructor then checks ranges; its message becomes this one's. Gson alone
 * would fill a missing field with 0, an unknown enum with null and wrap the constructor's message
 * in a reflection error; files that may be corrupt need to be refused with the field named.
 */
public final class StrictJson {
  private StrictJson() {}

  /** A JSON text (a string from file metadata) as a record; IllegalArgumentException names the problem. */
  public static <R extends Record> R parse(String json, Class<R> type, Map<String, Object> defaults) {
    if (json == null) throw new IllegalArgumentException("missing");
    JsonElement root;
    try {
      root = JsonParser.parseString(json);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not valid JSON (" + syntaxError(e) + ")");
    }
    if (!root.isJsonObject()) throw new IllegalArgumentException("not a JSON object");
    return read(root.getAsJsonObject(), type, defaults);
  }

  public static <R extends Record> R read(JsonObject o, Class<R> type, Map<String, Object> defaults) {
    RecordComponent[] components = type.getRecordComponents();
    Set<String> unknown = new TreeSet<>(o.keySet());
    Object[] args = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      RecordComponent c = components[i];
      types[i] = c.getType();
      unknown.remove(c.getName());
      JsonElement e = o.get(c.getName());
      if (e == null || e.isJsonNull()) {
        if (!defaults.containsKey(c.getName())) throw new IllegalArgumentException("field '" + c.getName() + "' is missing");
        args[i] = defaults.get(c.getName());
      } else {
        args[i] = value(c.getName(), c.getType(), e);
      }
    }
    if (!unknown.isEmpty()) throw new IllegalArgumentException("unknown field(s) " + unknown);
    try {
      var constructor = type.getDeclaredConstructor(types);
      constructor.setAccessible(true);  // records nested in package-private classes
      return constructor.newInstance(args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw new IllegalArgumentException(cause.getMessage(), cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot construct " + type.getSimpleName(), e);
    }
  }

  private static Object value(String name, Class<?> type, JsonElement e) {
    if (type.isEnum()) {
      String s = string(name, e);
      for (Object constant : type.getEnumConstants()) if (((Enum<?>) constant).name().equals(s)) return constant;
      throw new IllegalArgumentException("field '" + name + "' is '" + s + "', expected one of " + Arrays.toString(type.getEnumConstants()));
    }
    if (type == String.class) return string(name, e);
    if (type == boolean.class) {
      if (e instanceof JsonPrimitive p && p.isBoolean()) return p.getAsBoolean();
      throw new IllegalArgumentException("field '" + name + "' is " + e + ", expected true or false");
    }
    if (!(e instanceof JsonPrimitive p) || !p.isNumber()) throw new IllegalArgumentException("field '" + name + "' is " + e + ", expected a number");
    BigDecimal d;
    try {
      d = new BigDecimal(p.getAsString());
    } catch (NumberFormatException ex) {
      throw new IllegalArgumentException("field '" + name + "' is " + e + ", not a number");
    }
    try {
      if (type == int.class) return d.intValueExact();
      if (type == long.class) return d.longValueExact();
    } catch (ArithmeticException ex) {
      throw new IllegalArgumentException("field '" + name + "' is " + e + ", expected a whole number within the range of " + type);
    }
    double v = d.doubleValue();
    if (type == double.class) return v;
    if (type == float.class) {
      if (Double.isFinite(v) && Math.abs(v) > Float.MAX_VALUE) throw new IllegalArgumentException("field '" + name + "' is " + e + ", too large for a float");
      return (float) v;
    }
    throw new IllegalStateException("StrictJson cannot read a " + type + " field '" + name + "'");
  }

  /** Gson's parse errors span lines and advise lenient parsing; keep where the JSON broke. */
  public static String syntaxError(Exception e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    java.util.regex.Matcher at = java.util.regex.Pattern.compile("at line \\d+ column \\d+").matcher(m);
    if (at.find()) return "malformed JSON " + at.group();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private static String string(String name, JsonElement e) {
    if (e instanceof JsonPrimitive p && p.isString()) return p.getAsString();
    throw new IllegalArgumentException("field '" + name + "' is " + e + ", expected a string");
  }
}
