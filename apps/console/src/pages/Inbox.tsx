import { Badge, Button, List, Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useMe } from '../hooks';
import { formatInstant } from '../i18n';
import { useInbox } from '../inbox';

/**
 * The person's and the unit's notifications (arrivals, transfers, warnings, breaches, escalations …), the
 * unread ones marked; read state is the person's, on the server (opening one marks it, or all at once).
 */
export default function InboxPage() {
  const { t } = useTranslation();
  const me = useMe();
  const { messages, unread, query, markRead } = useInbox(me?.id);
  return (
    <section aria-labelledby="inbox-heading">
      <Space align="baseline" style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={2} id="inbox-heading" style={{ marginTop: 0 }}>
          {t('inbox.heading')} <Badge count={unread} data-testid="inbox-unread" title={t('inbox.unread', { count: unread })} />
        </Typography.Title>
        <Button disabled={unread === 0 || !messages[0]} onClick={() => messages[0] && markRead({ upTo: messages[0].id })}>{t('inbox.markAll')}</Button>
      </Space>
      <List
        data-testid="inbox" loading={query.isLoading} locale={{ emptyText: t('inbox.empty') }} dataSource={messages}
        renderItem={(m) => (
          <List.Item
            data-testid="inbox-message" data-read={String(!!m.read)}
            actions={[<Link key="open" to={`/tickets/${m.ticketId}`} onClick={() => { if (!m.read) markRead({ ids: [m.id] }); }}>{t('inbox.open')}</Link>]}
          >
            <List.Item.Meta
              title={<Space>{!m.read && <Tag color="blue">{t('inbox.new')}</Tag>}<span style={{ fontWeight: m.read ? 400 : 600 }}>{m.title}</span></Space>}
              description={<span>{formatInstant(m.createdAt)} · {m.body}</span>}
            />
          </List.Item>
        )}
      />
    </section>
  );
}
