import math

import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler

from vitrine.diffusion import schedules


def test_brief_schedule_is_linear_in_t_and_leaves_8_percent_signal():
    beta = schedules.betas("brief", T=1000, beta_bar=0.01)
    assert beta[0] == pytest.approx(1e-5) and beta[99] == pytest.approx(1e-3) and beta[-1] == pytest.approx(0.01)
    alpha_bar = schedules.alphas_cumprod(beta)
    # Σβ = β̄(T+1)/2 = 5.005, and the second-order term Σβ²/2 ≈ 0.017 more: ᾱ_T ≈ e^−5.02 ≈ 0.0066
    assert alpha_bar[-1] == pytest.approx(math.exp(-5.022), rel=1e-3)
    assert math.sqrt(alpha_bar[-1]) == pytest.approx(0.081, abs=0.002)


@pytest.mark.parametrize("name", schedules.SCHEDULES)
def test_alpha_bar_matches_diffusers_ddpm_scheduler(name):
    ours = schedules.alphas_cumprod(schedules.betas(name))
    theirs = DDPMScheduler(**schedules.scheduler_config(name)).alphas_cumprod.double().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("name", schedules.SCHEDULES)
def test_posterior_variance_matches_diffusers(name):
    scheduler = DDPMScheduler(**schedules.scheduler_config(name), variance_type="fixed_small")
    ours = schedules.posterior_variance(schedules.betas(name))
    for t in (1, 10, 500, 999):
        assert float(scheduler._get_variance(t)) == pytest.approx(ours[t], rel=5e-3)  # diffusers computes in float32


def test_add_noise_is_the_closed_form_q_xt_given_x0():
    scheduler = DDPMScheduler(**schedules.scheduler_config("brief"))
    alpha_bar = schedules.alphas_cumprod(schedules.betas("brief"))
    x0, eps = torch.randn(3, 3, 8, 8), torch.randn(3, 3, 8, 8)
    t = torch.tensor([0, 499, 999])
    xt = scheduler.add_noise(x0, eps, t)
    for i, step in enumerate(t.tolist()):
        expected = math.sqrt(alpha_bar[step]) * x0[i] + math.sqrt(1 - alpha_bar[step]) * eps[i]
        torch.testing.assert_close(xt[i], expected, rtol=1e-4, atol=1e-5)


def test_cosine_reaches_pure_noise_and_ddpm_almost():
    assert schedules.alphas_cumprod(schedules.betas("cosine"))[-1] < 1e-6
    assert schedules.alphas_cumprod(schedules.betas("ddpm"))[-1] < 1e-4


def test_bad_schedule_arguments():
    with pytest.raises(ValueError, match="unknown schedule"):
        schedules.betas("quadratic")
    with pytest.raises(ValueError, match="beta_bar"):
        schedules.betas("brief", beta_bar=1.5)
