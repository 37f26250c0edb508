package org.flowrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every invalid option is refused before any work starts (no run folder made, no training), with
 * exit code 2 and one line naming the option and what is wrong with it.
 */
class OptionsCliTest {
  @TempDir static Path shared;
  static Path data;
  static Path checkpoint;

  @BeforeAll
  static void setUp() throws IOException {
    data = CliRunner.idxDataset(shared.resolve("data"), 32, 8);
    Path run = shared.resolve("trained");
    CliRunner.Result r = CliRunner.run(CliRunner.train(data, run, "--max-steps", "1"));
    assertEquals(0, r.exit(), r.toString());
    checkpoint = run.resolve("checkpoint.safetensors");
  }

  static Stream<Arguments> badTrainOptions() {
    return Stream.of(
        Arguments.of(List.of("--temperature", "-1"), "--temperature"),
        Arguments.of(List.of("--temperature", "NaN"), "--temperature"),
        Arguments.of(List.of("--samples", "0"), "--samples"),
        Arguments.of(List.of("--samples", "-1"), "--samples"),
        Arguments.of(List.of("--image-size", "-5"), "--image-size"),
        Arguments.of(List.of("--eval-images", "-1"), "--eval-images"),
        Arguments.of(List.of("--checkpoint-minutes", "-1"), "--checkpoint-minutes"),
        Arguments.of(List.of("--n-init", "0"), "--n-init"),
        Arguments.of(List.of("--n-init", "-3"), "--n-init"),
        Arguments.of(List.of("--batch", "0"), "--batch"),
        Arguments.of(List.of("--batch", "abc"), "--batch"),
        Arguments.of(List.of("--batch", "1000"), "--batch"),
        Arguments.of(List.of("--lr", "0"), "--lr"),
        Arguments.of(List.of("--lr", "Infinity"), "--lr"),
        Arguments.of(List.of("--polyak", "1"), "--polyak"),
        Arguments.of(List.of("--clip-grad-norm", "-2"), "--clip-grad-norm"),
        Arguments.of(List.of("--max-rebuild-error", "NaN"), "--max-rebuild-error"),
        Arguments.of(List.of("--optimizer", "sgd"), "optimizer"),
        Arguments.of(List.of("--levels", "-1"), "--levels"),
        Arguments.of(List.of("--levels", "31"), "--levels"),
        Arguments.of(List.of("--levels", "32"), "--levels"),
        Arguments.of(List.of("--levels", "4", "--image-size", "8"), "levels L = 4 is invalid for a 8×8 image"),
        Arguments.of(List.of("--n-bits", "9"), "--n-bits"),
        Arguments.of(List.of("--channels", "2"), "--channels"),
        Arguments.of(List.of("--minutes", "-1"), "--minutes"),
        Arguments.of(List.of("--max-steps", "-1"), "--max-steps"),
        Arguments.of(List.of("--mask", "diagonal"), "--mask"),
        Arguments.of(List.of("--no-such-option"), "no-such-option"));
  }

  @ParameterizedTest
  @MethodSource("badTrainOptions")
  void trainRefusesBeforeAnyWork(List<String> bad, String named, @TempDir Path dir) {
    Path out = dir.resolve("run");
    List<String> args = new ArrayList<>(Arrays.asList(CliRunner.train(data, out, "--max-steps", "1")));
    // Options given twice would be refused for that alone: drop the helper's own values of these.
    for (int i = 0; i + 1 < bad.size(); i += 2) {
      int at = args.indexOf(bad.get(i));
      if (at >= 0) {
        args.remove(at);
        args.remove(at);
      }
    }
    args.addAll(bad);
    CliRunner.Result r = CliRunner.run(args.toArray(String[]::new));
    assertRefused(r, named);
    assertFalse(Files.exists(out.resolve("checkpoint.safetensors")), "no training happened");
  }

  @ParameterizedTest
  @MethodSource("otherCommands")
  void otherCommandsRefuseBadOptions(List<String> args, String named) {
    assertRefused(CliRunner.run(args.stream().map(a -> a.replace("CKPT", checkpoint.toString()).replace("DATA", data.toString()))
        .toArray(String[]::new)), named);
  }

  static Stream<Arguments> otherCommands() {
    return Stream.of(
        Arguments.of(List.of("eval", "--checkpoint", "CKPT", "--data", "DATA", "--images", "-1"), "--images"),
        Arguments.of(List.of("eval", "--checkpoint", "CKPT", "--data", "DATA", "--batch", "0"), "--batch"),
        Arguments.of(List.of("eval", "--checkpoint", "", "--data", "DATA"), "--checkpoint"),
        Arguments.of(List.of("sample", "--checkpoint", "CKPT", "--count", "0"), "--count"),
        Arguments.of(List.of("sample", "--checkpoint", "CKPT", "--temperature", "-0.5"), "--temperature"),
        Arguments.of(List.of("sample", "--checkpoint", "CKPT", "--out", ""), "--out"),
        Arguments.of(List.of("sample", "--checkpoint", "CKPT", "--label", "1"), "not class-conditional"),
        Arguments.of(List.of("sample", "--checkpoint", "/dev/null"), "/dev/null"),
        Arguments.of(List.of("encode", "--checkpoint", "CKPT", "--data", "DATA", "--count", "0"), "--count"),
        Arguments.of(List.of("bench", "--iterations", "0"), "--iterations"),
        Arguments.of(List.of("plan", "--image-size", "0"), "--image-size"),
        Arguments.of(List.of("bench-one", "--passes", "0"), "--passes"),
        Arguments.of(List.of("bench-one", "--lr", "-1"), "--lr"),
        Arguments.of(List.of("plan", "--image-size", "32", "--memory", "lots"), "--memory"),
        Arguments.of(List.of("plan", "--image-size", "32", "--device", "tpu"), "--device"),
        Arguments.of(List.of("plan", "--image-size", "32", "--fit-batch"), "--fit-batch needs --memory"),
        Arguments.of(List.of("plan", "--image-size", "30", "--levels", "3"), "not divisible by 2^L"));
  }

  /** Exit 2, exactly one error line naming what is wrong, no stack trace. */
  static void assertRefused(CliRunner.Result r, String named) {
    assertEquals(2, r.exit(), r.toString());
    assertEquals(1, r.errors().size(), r.toString());
    assertTrue(r.errors().get(0).contains(named), "the message names " + named + ": " + r.errors().get(0));
    assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace: " + r.err());
  }
}
