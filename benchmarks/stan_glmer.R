# rstanarm stan_glmer on lme4 cbpp and the BUGS Seeds (issue 22), timed for comparison with
# bayeslogit NUTS (benchmarks/stan_glmer_ours.py, run before and after this in the same session).
# Needs R with rstanarm (Debian: apt-get install -y r-base-core r-cran-rstanarm) and seeds.csv in
# the working folder (python -c "from bayeslogit.datasets import bugs_seeds; bugs_seeds().to_csv('seeds.csv', index=False)").
suppressMessages(library(rstanarm))
data(cbpp, package = "lme4")
seeds <- read.csv("seeds.csv")
time_fit <- function(label, expr) {
  t <- system.time(fit <- eval(expr))["elapsed"]
  cat(sprintf("%s\t%.2f s\n", label, t))
  fit
}
options(mc.cores = 1)
f1 <- time_fit("cbpp stan_glmer first", quote(stan_glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial, seed = 1, refresh = 0)))
f2 <- time_fit("cbpp stan_glmer again", quote(stan_glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial, seed = 2, refresh = 0)))
s1 <- time_fit("seeds stan_glmer", quote(stan_glmer(cbind(r, n - r) ~ x1 * x2 + (1 | plate), data = seeds, family = binomial, seed = 1, refresh = 0)))
s2 <- time_fit("seeds stan_glmer again", quote(stan_glmer(cbind(r, n - r) ~ x1 * x2 + (1 | plate), data = seeds, family = binomial, seed = 2, refresh = 0)))
print(summary(f2, pars = c("(Intercept)", "period2", "period3", "period4", "Sigma[herd:(Intercept),(Intercept)]"), digits = 3)[, c("mean", "sd", "n_eff", "Rhat")])
