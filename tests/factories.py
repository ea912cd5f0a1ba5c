from __future__ import annotations

import factory

from gaoxin.accounts.choices import OrganisationKind
from gaoxin.accounts.models import Organisation, Role, User
from gaoxin.core import uscc
from gaoxin.enterprises.models import Enterprise

PASSWORD = "Test-passw0rd!"


def make_uscc(n: int) -> str:
    return uscc.make(f"91350200{n:09d}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.ZONE_DEPARTMENT
    name = factory.Sequence(lambda n: f"部门{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        self.save()
        if extracted:
            self.roles.set(Role.objects.filter(code__in=extracted))


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    uscc = factory.Sequence(lambda n: make_uscc(n + 1))
    name = factory.Sequence(lambda n: f"厦门测试{n}科技有限公司")
    chain = "ic"
    area = ""
