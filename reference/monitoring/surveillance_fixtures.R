#!/usr/bin/env Rscript
# Reference fixtures for lib/monitoring/outbreaks/{ears,farrington}.ts and
# lib/monitoring/multipleTesting.ts, made with Debian's r-cran-surveillance (R surveillance 1.20)
# and base R's p.adjust.
#
#     Rscript reference/monitoring/surveillance_fixtures.R
#
# writes test/fixtures/monitoring/{ears,farrington,bh,normal}.json. Series are simulated here with a
# fixed seed and stored in full, so the tests need neither R nor this script.
suppressPackageStartupMessages({
  library(surveillance)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- normalizePath(file.path(dirname(script), "..", "..", "test", "fixtures", "monitoring"))
set.seed(20260301)

na_to_null <- function(x) {
  x <- as.vector(x)
  lapply(x, function(v) if (is.na(v)) NULL else v)
}

# A small JSON writer: jsonlite prints at most 15 significant digits, the fixtures need 17
# (every double round-trips). Unnamed lists and vectors of length != 1 become arrays.
json_num <- function(v) {
  if (is.na(v)) return("null")
  if (is.infinite(v)) stop("infinite value in a fixture")
  if (v == round(v) && abs(v) < 1e15) return(format(v, scientific = FALSE))
  sprintf("%.17g", v)
}
to_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (length(x) == 0) return("{}")
    if (!is.null(names(x)) && all(names(x) != "")) {
      parts <- mapply(function(k, v) paste0(toJSON(k, auto_unbox = TRUE), ":", to_json(v)), names(x), x)
      return(paste0("{", paste(parts, collapse = ","), "}"))
    }
    return(paste0("[", paste(vapply(x, to_json, ""), collapse = ","), "]"))
  }
  items <- if (is.logical(x)) ifelse(is.na(x), "null", ifelse(x, "true", "false"))
           else if (is.numeric(x)) vapply(as.numeric(x), json_num, "")
           else vapply(as.character(x), function(v) as.character(toJSON(v, auto_unbox = TRUE)), "")
  if (length(x) == 1 && !inherits(x, "AsIs")) return(items)
  paste0("[", paste(items, collapse = ","), "]")
}
write_fixture <- function(obj, name) {
  writeLines(to_json(obj), file.path(out_dir, name))
}

# --------------------------------------------------------------------------------------------
# EARS C1 / C2 / C3 (surveillance::earsC), daily series.
daily <- list(
  list(name = "daily poisson mean 10, no outbreak", observed = rpois(120, 10)),
  list(name = "daily poisson mean 8 with an outbreak", observed = {
    y <- rpois(150, 8); y[100:108] <- y[100:108] + c(3, 6, 10, 14, 18, 14, 10, 6, 3); y
  }),
  list(name = "daily sparse with zeros", observed = rpois(120, 0.4)),
  list(name = "daily all zeros then cases", observed = c(rep(0, 40), rpois(40, 2))),
  list(name = "daily weekday pattern with trend", observed = {
    t <- 1:180; rpois(180, exp(2 + 0.004 * t + 0.4 * (t %% 7 < 5)))
  })
)
ears_configs <- list(
  list(method = "C1"),
  list(method = "C2"),
  list(method = "C3"),
  list(method = "C1", alpha = 0.05),
  list(method = "C2", alpha = 0.01, baseline = 10),
  list(method = "C3", alpha = 0.001),
  list(method = "C1", minSigma = 1),
  list(method = "C3", minSigma = 0.5, baseline = 5)
)
ears_cases <- list()
for (s in daily) {
  for (cfg in ears_configs) {
    sts_obj <- sts(observed = matrix(s$observed, ncol = 1), start = c(2020, 1), frequency = 365)
    res <- earsC(sts_obj, control = cfg)
    rng <- res@control$range
    ears_cases[[length(ears_cases) + 1]] <- list(
      name = paste(s$name, "/", paste(names(cfg), unlist(cfg), sep = "=", collapse = ", ")),
      observed = s$observed,
      control = cfg,
      # 1-based range as surveillance reports it; upperbound and alarm per range point.
      range = rng,
      alpha = res@control$alpha,
      upperbound = na_to_null(upperbound(res)),
      alarm = na_to_null(alarms(res))
    )
  }
}
write_fixture(list(generator = "reference/monitoring/surveillance_fixtures.R",
                   surveillance = as.character(packageVersion("surveillance")),
                   R = R.version.string, cases = ears_cases), "ears.json")

# --------------------------------------------------------------------------------------------
# farringtonFlexible, weekly series (freq 52) over several years, and one daily series.
weekly_series <- function(nweeks, base, amp, trend = 0, outbreaks = list(), overdisp = 0) {
  t <- 1:nweeks
  mu <- exp(log(base) + amp * cos(2 * pi * t / 52) + trend * t)
  y <- if (overdisp > 0) rnbinom(nweeks, mu = mu, size = 1 / overdisp) else rpois(nweeks, mu)
  for (o in outbreaks) y[o$at:(o$at + length(o$extra) - 1)] <- y[o$at:(o$at + length(o$extra) - 1)] + o$extra
  y
}
data(salmNewport)
farr_series <- list(
  list(name = "weekly seasonal no outbreak", observed = weekly_series(364, 20, 0.5)),
  list(name = "weekly seasonal with outbreaks", observed = weekly_series(380, 12, 0.6, outbreaks = list(
    list(at = 300, extra = c(4, 9, 15, 9, 4)), list(at = 350, extra = c(6, 12, 6)))), overdisp = 0),
  list(name = "weekly increasing trend overdispersed", observed = weekly_series(364, 6, 0.3, trend = 0.004, overdisp = 0.15)),
  list(name = "weekly low counts with zeros", observed = weekly_series(330, 0.8, 0.7)),
  list(name = "weekly past outbreaks in baseline", observed = weekly_series(370, 10, 0.4, outbreaks = list(
    list(at = 60, extra = c(10, 25, 40, 25, 10)), list(at = 170, extra = c(15, 30, 15)), list(at = 330, extra = c(5, 10, 20))))),
  list(name = "salmNewport (Germany, total)", observed = as.vector(rowSums(observed(salmNewport))),
       dates = as.character(epoch(salmNewport)))
)
farr_series[[length(farr_series) + 1]] <- list(name = "weekly all zeros then a few cases", observed = c(rep(0, 300), 0, 2, 1, 3, 0, 4, 6, 2))
farr_configs <- list(
  list(label = "defaults", control = list()),
  list(label = "noufaily-style blocks", control = list(noPeriods = 10, pastWeeksNotIncluded = 26)),
  list(label = "no reweight, no trend, alpha 0.01, powertrans 1/2", control = list(reweight = FALSE, trend = FALSE, alpha = 0.01, powertrans = "1/2")),
  list(label = "Noufaily 2013: blocks and nbPlugin", control = list(noPeriods = 10, pastWeeksNotIncluded = 26, thresholdMethod = "nbPlugin")),
  list(label = "muan threshold", control = list(thresholdMethod = "muan"))
)
# Series are stored once (series), cases refer to them by name.
series_out <- list()
farr_cases <- list()
add_farr <- function(name, observed, control, label, dates = NULL, population = NULL, freq = 52) {
  if (is.null(series_out[[name]])) {
    series_out[[name]] <<- list(freq = freq, observed = observed, dates = dates, population = population)
  }
  if (is.null(dates)) {
    sts_obj <- sts(observed = matrix(observed, ncol = 1), start = c(2015, 1), frequency = freq,
                   population = if (is.null(population)) NULL else matrix(population, ncol = 1))
  } else {
    sts_obj <- sts(observed = matrix(observed, ncol = 1), epoch = as.Date(dates), epochAsDate = TRUE,
                   frequency = freq, population = if (is.null(population)) NULL else matrix(population, ncol = 1))
  }
  res <- suppressWarnings(farringtonFlexible(sts_obj, control = control))
  ctrl <- res@control
  b <- if (is.null(control$b)) 5 else control$b
  w <- if (is.null(control$w)) 3 else control$w
  rng <- if (is.null(control$range)) (freq * b + w + 1):length(observed) else control$range
  farr_cases[[length(farr_cases) + 1]] <<- list(
    name = paste(name, "/", label),
    series = name,
    control = control,
    range = rng,
    upperbound = na_to_null(upperbound(res)),
    alarm = na_to_null(alarms(res)),
    expected = na_to_null(ctrl$expected),
    score = na_to_null(ctrl$score),
    pvalue = na_to_null(ctrl$pvalue),
    phi = na_to_null(ctrl$phiVector),
    trend = na_to_null(ctrl$trend)
  )
}
for (s in farr_series) {
  for (cfg in farr_configs) {
    add_farr(s$name, s$observed, cfg$control, cfg$label, dates = s$dates)
  }
}
# Dates (epochAsDate = TRUE) on a simulated weekly series: reference weeks one calendar year back,
# moved to the same weekday.
wk <- weekly_series(372, 15, 0.5, outbreaks = list(list(at = 340, extra = c(5, 10, 15))))
wk_dates <- as.character(seq(as.Date("2017-01-02"), by = "week", length.out = 372))
add_farr("weekly with dates", wk, list(), "defaults", dates = wk_dates)
add_farr("weekly with dates", wk, list(noPeriods = 10, pastWeeksNotIncluded = 26, thresholdMethod = "nbPlugin"), "Noufaily 2013", dates = wk_dates)
# Population offset.
pop <- round(100000 * exp(0.001 * (1:364)))
add_farr("weekly population offset", weekly_series(364, 20, 0.5), list(populationOffset = TRUE), "defaults", population = pop)
# Daily data (freq 365) with dates: evaluate the last 60 days only.
dd <- rpois(365 * 5 + 70, exp(log(8) + 0.3 * cos(2 * pi * (1:(365 * 5 + 70)) / 365)))
dd[(length(dd) - 10):(length(dd) - 6)] <- dd[(length(dd) - 10):(length(dd) - 6)] + c(5, 10, 15, 10, 5)
ddates <- as.character(seq(as.Date("2019-01-01"), by = "day", length.out = length(dd)))
add_farr("daily with dates", dd, list(range = (length(dd) - 59):length(dd)), "last 60 days", dates = ddates, freq = 365)
write_fixture(list(generator = "reference/monitoring/surveillance_fixtures.R",
                   surveillance = as.character(packageVersion("surveillance")),
                   R = R.version.string, series = series_out, cases = farr_cases), "farrington.json")

# --------------------------------------------------------------------------------------------
# Benjamini-Hochberg (p.adjust method "BH").
bh_cases <- list(
  list(name = "uniform 20", p = runif(20)),
  list(name = "mixture with signals", p = c(runif(30), rbeta(10, 0.2, 8))),
  list(name = "ties", p = c(0.01, 0.01, 0.02, 0.04, 0.04, 0.04, 0.5, 1, 0)),
  list(name = "with NA", p = c(0.001, NA, 0.03, 0.2, NA, 0.04)),
  list(name = "single", p = c(0.03))
)
for (i in seq_along(bh_cases)) bh_cases[[i]]$adjusted <- na_to_null(p.adjust(bh_cases[[i]]$p, method = "BH"))
for (i in seq_along(bh_cases)) bh_cases[[i]]$p <- na_to_null(bh_cases[[i]]$p)
write_fixture(list(generator = "reference/monitoring/surveillance_fixtures.R", R = R.version.string, cases = bh_cases), "bh.json")

# --------------------------------------------------------------------------------------------
# Distribution values used by the algorithms (R's pnorm, qnorm, pt, qpois, ppois, qnbinom, pnbinom).
x <- c(-40, -8, -5.9, -3, -1.5, -0.6, 0, 0.3, 0.66, 1, 2.5, 5.5, 6, 10)
p <- c(1e-12, 1e-8, 0.001, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 0.8, 0.95, 0.975, 0.999, 1 - 1e-9)
tt <- expand.grid(t = c(0.1, 1, 1.96, 2.5, 4, 10), df = c(1, 3, 10, 33, 200))
qp <- expand.grid(p = c(0.01, 0.05, 0.5, 0.95, 0.99, 0.999), lambda = c(0.001, 0.3, 2.5, 17, 140, 3000))
# (p = 0.5 with prob = 0.5 is an exact tie cdf(y) = p that double-precision pbeta cannot decide.)
qn <- expand.grid(p = c(0.05, 0.4, 0.95, 0.99), size = c(0.05, 0.8, 6, 75, 2000), prob = c(0.2, 0.5, 0.9, 0.999))
write_fixture(list(generator = "reference/monitoring/surveillance_fixtures.R", R = R.version.string,
                   pnorm = lapply(x, function(v) list(x = v, lower = pnorm(v), upper = pnorm(v, lower.tail = FALSE))),
                   qnorm = lapply(p, function(v) list(p = v, q = qnorm(v))),
                   pt = lapply(seq_len(nrow(tt)), function(i) list(t = tt$t[i], df = tt$df[i], p = 2 * pt(-abs(tt$t[i]), tt$df[i]))),
                   qpois = lapply(seq_len(nrow(qp)), function(i) list(p = qp$p[i], lambda = qp$lambda[i], q = qpois(qp$p[i], qp$lambda[i]),
                                                                        upper = ppois(qp$lambda[i] * 1.5, qp$lambda[i], lower.tail = FALSE))),
                   qnbinom = lapply(seq_len(nrow(qn)), function(i) list(p = qn$p[i], size = qn$size[i], prob = qn$prob[i],
                                                                          q = qnbinom(qn$p[i], qn$size[i], qn$prob[i]),
                                                                          upper = pnbinom(3 * qn$size[i], qn$size[i], qn$prob[i], lower.tail = FALSE)))),
              "normal.json")
cat("fixtures written to", out_dir, "\n")
